"""Loggers by purpose: the run logger, a run's logger built from a run description (what hooks
receive), plain loggers, and switching run loggers off."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_orch.engine.logging import RunLogger, get_run_logger, run_logger, run_logger_disabled

__all__ = [
    "disable_logger",
    "disable_run_logger",
    "flow_run_logger",
    "get_logger",
    "get_run_logger",
    "task_run_logger",
]


def get_logger(name: str | None = None) -> logging.Logger:
    """A logger under `jupyter_orch` (`get_logger("x")` is `jupyter_orch.x`); its records are not
    stored with a run."""
    parent = logging.getLogger("jupyter_orch")
    if name is None:
        return parent
    return parent.getChild(name.removeprefix("jupyter_orch."))


def _field(obj: Any, name: str) -> Any:
    """A field of a run record or object; ids (UUIDs on run objects) as the strings logs keep."""
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return str(value) if isinstance(value, uuid.UUID) else value


def flow_run_logger(flow_run: Any, flow: Any = None, **kwargs: Any) -> RunLogger:
    """The logger of a flow run given its description (a hook's `flow_run`, or a record); usable
    where there is no run context, such as in a state-change hook."""
    logger = run_logger(_field(flow_run, "id"), None, f"Flow run {_field(flow_run, 'name')!r}", "flow_runs")
    if kwargs:
        logger.extra = {**logger.extra, **kwargs}  # type: ignore[dict-item]
    return logger


def task_run_logger(
    task_run: Any, task: Any = None, flow_run: Any = None, flow: Any = None, **kwargs: Any
) -> RunLogger:
    """The logger of a task run given its description (a hook's `task_run`)."""
    flow_run_id = _field(task_run, "flow_run_id")
    if flow_run_id is None and flow_run is not None:
        flow_run_id = _field(flow_run, "id")
    logger = run_logger(
        flow_run_id, _field(task_run, "id"), f"Task run {_field(task_run, 'name')!r}", "task_runs"
    )
    if kwargs:
        logger.extra = {**logger.extra, **kwargs}  # type: ignore[dict-item]
    return logger


@contextmanager
def disable_logger(name: str) -> Iterator[None]:
    """Silence the logger `name` inside the block."""
    logger = logging.getLogger(name)
    before = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = before


@contextmanager
def disable_run_logger() -> Iterator[None]:
    """Inside the block `get_run_logger()` returns a silent logger instead of raising outside a
    run: a task's or flow's `.fn` can be called directly in a test."""
    token = run_logger_disabled.set(True)
    try:
        with disable_logger("jupyter_orch.runs"):
            yield
    finally:
        run_logger_disabled.reset(token)
