"""Artifacts: rich outputs (markdown, links, tables, images, progress) recorded with the current
run, or with no run when created outside one (as Prefect allows).

Inside a run an artifact is one more row for the batch writer (flushed with the run's records);
outside one it is written before the call returns. Updating a progress artifact, and reading
artifacts back, are requests of the process's client (`jupyter_orch.client`): over HTTP when
`JUPYTER_ORCH_API_URL` is set, through the route table in-process otherwise.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import math
import sys
import uuid
import warnings
from collections.abc import Callable
from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.context import flow_run_ctx, task_run_ctx
from jupyter_orch.parameters import jsonable
from jupyter_orch.states import utcnow


def _check_key(key: str | None) -> None:
    if key is not None and (not key or not all(c.islower() or c.isdigit() or c == "-" for c in key)):
        raise ValueError(
            f"Artifact key must only contain lowercase letters, numbers, and dashes; got {key!r}"
        )


def create_artifact(type_: str, data: Any, key: str | None, description: str | None) -> uuid.UUID:
    """Record an artifact for the innermost run (task, else flow, else none); its id."""
    _check_key(key)
    task_ctx = task_run_ctx.get()
    flow_ctx = flow_run_ctx.get()
    if task_ctx is not None:
        flow_run_id, task_run_id = task_ctx.flow_run_id, task_ctx.task_run_id
    else:
        flow_run_id, task_run_id = (flow_ctx.flow_run_id if flow_ctx else None), None
    artifact_id = uuid.uuid4()
    client = flow_ctx.client if flow_ctx is not None else _client()
    client.writer.add(
        "artifacts",
        {
            "id": str(artifact_id),
            "key": key,
            "type": type_,
            "data": data,
            "description": description,
            "flow_run_id": flow_run_id,
            "task_run_id": task_run_id,
            "created": utcnow(),
        },
    )
    if task_ctx is None and flow_ctx is None:
        client.flush()  # no run will flush it: written before we return, as Prefect's call is
        warnings.warn(OUTSIDE_RUN_WARNING, FutureWarning, stacklevel=3)
    return artifact_id


OUTSIDE_RUN_WARNING = (
    "Artifact creation outside of a flow or task run is deprecated (as in Prefect): the artifact "
    "was recorded with no run"
)


def _client() -> Any:
    return get_client()


def api_request(method: str, path: str, body: Any = None, **query: Any) -> Any:
    """One call of the REST API through the process's client, over HTTP or in-process (after
    writing what is buffered, so an artifact just created is there to read or change)."""
    client = _client()
    client.flush()
    return client.request(method, path, query or None, body)


# -- the kinds of artifact -------------------------------------------------------------------------
def create_markdown_artifact(
    markdown: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Record `markdown` for the current run; returns the artifact id."""
    if not isinstance(markdown, str):
        raise TypeError("markdown must be a string")
    return create_artifact("markdown", markdown, key, description)


def create_link_artifact(
    link: str, link_text: str | None = None, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Record a link (shown as markdown `[link_text](link)`)."""
    return create_artifact("markdown", link_markdown(link, link_text), key, description)


def create_table_artifact(
    table: list[dict[str, Any]] | dict[str, list[Any]] | list[list[Any]],
    key: str | None = None,
    description: str | None = None,
) -> uuid.UUID:
    """Record a table: a list of row dicts, a dict of columns, or a list of row lists."""
    return create_artifact("table", table_data(table), key, description)


def create_image_artifact(
    image_url: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Record an image by its URL."""
    if not isinstance(image_url, str) or not image_url:
        raise TypeError("image_url must be a non-empty string")
    return create_artifact("image", image_url, key, description)


def create_rich_artifact(
    html: str,
    key: str | None = None,
    description: str | None = None,
    sandbox: list[str] | None = None,
    csp: str | None = None,
) -> uuid.UUID:
    """Record an HTML page, shown in an iframe with the `sandbox` permissions (default
    `["allow-scripts"]`) and, if given, the Content-Security-Policy `csp`."""
    return create_artifact("rich", rich_data(html, sandbox, csp), key, description)


def rich_data(html: str, sandbox: list[str] | None, csp: str | None) -> dict[str, Any]:
    if not isinstance(html, str):
        raise TypeError("html must be a string")
    data: dict[str, Any] = {"html": html, "sandbox": ["allow-scripts"] if sandbox is None else list(sandbox)}
    if csp is not None:
        data["csp"] = csp
    return data


def create_progress_artifact(
    progress: float, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Record a progress indicator (a percentage, 0 to 100) to move with `update_progress_artifact`."""
    return create_artifact("progress", progress_data(progress), key, description)


def update_progress_artifact(
    artifact_id: uuid.UUID | str, progress: float, description: str | None = None
) -> uuid.UUID:
    """Set a progress artifact's progress (and description, if given); its id."""
    body: dict[str, Any] = {"data": progress_data(progress)}
    if description is not None:
        body["description"] = description
    api_request("PATCH", f"artifacts/{artifact_id}", body)
    return uuid.UUID(str(artifact_id))


def link_markdown(link: str, link_text: str | None) -> str:
    if not isinstance(link, str) or not link:
        raise TypeError("link must be a non-empty string")
    return f"[{link_text or link}]({link})"


def progress_data(progress: Any) -> float:
    if isinstance(progress, bool) or not isinstance(progress, (int, float)) or not 0 <= progress <= 100:
        raise ValueError(f"progress must be a number from 0 to 100, got {progress!r}")
    return float(progress)


def table_data(table: Any) -> str:
    """The table as Prefect stores it: JSON text of its rows or columns (NaN as null)."""
    if isinstance(table, dict) and all(isinstance(v, (list, tuple)) for v in table.values()):
        return json.dumps(_no_nan(jsonable(table)))
    if isinstance(table, (list, tuple)) and (
        all(isinstance(r, dict) for r in table) or all(isinstance(r, (list, tuple)) for r in table)
    ):
        return json.dumps(_no_nan(jsonable(list(table))))
    raise TypeError(
        "a table artifact is a list of dicts (rows), a dict of lists (columns) or a list of lists"
    )


def _no_nan(value: Any) -> Any:
    """NaN is not JSON: it becomes null, as Prefect stores it."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    return value


# -- async variants (the work is a buffered write or one request: run it in a thread) ----------
async def _in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    # heavy: asyncio, only async callers (a sync flow's first call never loads it)
    import asyncio

    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(None, call)


async def _acreate(fn: Any, *args: Any, **kwargs: Any) -> uuid.UUID:
    if flow_run_ctx.get() is None and task_run_ctx.get() is None:  # written at once: off the loop
        return await _in_thread(fn, *args, _sync=True, **kwargs)
    return fn(*args, _sync=True, **kwargs)


async def acreate_markdown_artifact(
    markdown: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    return await _acreate(create_markdown_artifact, markdown, key, description)


async def acreate_link_artifact(
    link: str, link_text: str | None = None, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    return await _acreate(create_link_artifact, link, link_text, key, description)


async def acreate_table_artifact(
    table: Any, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    return await _acreate(create_table_artifact, table, key, description)


async def acreate_image_artifact(
    image_url: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    return await _acreate(create_image_artifact, image_url, key, description)


async def acreate_progress_artifact(
    progress: float, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    return await _acreate(create_progress_artifact, progress, key, description)


async def aupdate_progress_artifact(
    artifact_id: uuid.UUID | str, progress: float, description: str | None = None
) -> uuid.UUID:
    return await _in_thread(update_progress_artifact, artifact_id, progress, description, _sync=True)


async def acreate_rich_artifact(
    html: str, key: str | None = None, description: str | None = None, **options: Any
) -> uuid.UUID:
    """`create_rich_artifact` for async code (`sandbox=`, `csp=` as there)."""
    return await _acreate(create_rich_artifact, html, key, description, **options)


# -- called from async code, the sync names answer awaitables (Prefect's rule) --------------------
_ASYNC_BODY = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def _dispatching(sync_fn: Callable[..., Any], async_fn: Callable[..., Any]) -> Callable[..., Any]:
    """`sync_fn`, except that called straight from an `async def` body it returns the awaitable
    of `async_fn`, as Prefect's artifact functions do; `_sync=True` (or False) decides instead."""

    @functools.wraps(sync_fn)
    def call(*args: Any, _sync: bool | None = None, **kwargs: Any) -> Any:
        if _sync is None:
            _sync = not sys._getframe(1).f_code.co_flags & _ASYNC_BODY
        return sync_fn(*args, **kwargs) if _sync else async_fn(*args, **kwargs)

    return call


create_markdown_artifact = _dispatching(create_markdown_artifact, acreate_markdown_artifact)
create_link_artifact = _dispatching(create_link_artifact, acreate_link_artifact)
create_table_artifact = _dispatching(create_table_artifact, acreate_table_artifact)
create_image_artifact = _dispatching(create_image_artifact, acreate_image_artifact)
create_progress_artifact = _dispatching(create_progress_artifact, acreate_progress_artifact)
create_rich_artifact = _dispatching(create_rich_artifact, acreate_rich_artifact)
update_progress_artifact = _dispatching(update_progress_artifact, aupdate_progress_artifact)
