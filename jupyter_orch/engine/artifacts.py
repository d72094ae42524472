"""Artifacts: rich outputs (markdown, tables) recorded with the current run."""

from __future__ import annotations

import uuid
from typing import Any

from jupyter_orch.engine.context import FlowRunContext, get_run_context
from jupyter_orch.states import utcnow


def _create(type_: str, data: Any, key: str | None, description: str | None) -> str:
    if key is not None and (not key or not all(c.islower() or c.isdigit() or c == "-" for c in key)):
        raise ValueError(f"artifact key must be lowercase letters, digits and dashes; got {key!r}")
    ctx = get_run_context()
    task_run_id = None if isinstance(ctx, FlowRunContext) else ctx.task_run_id
    artifact_id = str(uuid.uuid4())
    from jupyter_orch.client import get_client

    get_client().writer.add(
        "artifacts",
        {
            "id": artifact_id,
            "key": key,
            "type": type_,
            "data": data,
            "description": description,
            "flow_run_id": ctx.flow_run_id,
            "task_run_id": task_run_id,
            "created": utcnow(),
        },
    )
    return artifact_id


def create_markdown_artifact(markdown: str, key: str | None = None, description: str | None = None) -> str:
    """Record `markdown` for the current run; returns the artifact id."""
    if not isinstance(markdown, str):
        raise TypeError("markdown must be a string")
    return _create("markdown", markdown, key, description)


def create_table_artifact(
    table: list[dict[str, Any]] | dict[str, list[Any]], key: str | None = None, description: str | None = None
) -> str:
    """Record a table (a list of row dicts, or a dict of columns) for the current run."""
    return _create("table", _table(table), key, description)


def _table(table: Any) -> Any:
    from jupyter_orch.engine.parameters import jsonable

    if isinstance(table, dict) and all(isinstance(v, (list, tuple)) for v in table.values()):
        return jsonable(table)
    if isinstance(table, (list, tuple)) and all(isinstance(r, dict) for r in table):
        return jsonable(list(table))
    raise TypeError("a table artifact is a list of dicts (rows) or a dict of lists (columns)")
