"""Loggers by purpose: the run logger, a run's logger built from a run description (what hooks
receive), plain loggers, a worker's logger, switching run loggers off, `patch_print` (print()
inside a run as a run log) and `LogEavesdropper` (collect what a logger logs)."""

from __future__ import annotations

import builtins
import io
import logging
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from jupyter_orch.engine.context import flow_run_ctx, task_run_ctx
from jupyter_orch.engine.logging import (
    RunLogger,
    flow_run_logger,
    get_run_logger,
    hide_api_key,
    run_logger_disabled,
    task_run_logger,
)
from jupyter_orch.settings import PREFECT_LOGGING_LEVEL

#: Prefect's name for a logger adapter that merges the caller's `extra` with its own
PrefectLogAdapter = RunLogger

__all__ = [
    "LogEavesdropper",
    "PrefectLogAdapter",
    "disable_logger",
    "disable_run_logger",
    "flow_run_logger",
    "get_logger",
    "get_run_logger",
    "get_worker_logger",
    "patch_print",
    "task_run_logger",
]


def get_logger(name: str | None = None) -> logging.Logger:
    """A logger under `jupyter_orch` (`get_logger("x")` is `jupyter_orch.x`); its records are not
    stored with a run. As Prefect's loggers, they log at `PREFECT_LOGGING_LEVEL` (INFO) unless
    the `jupyter_orch` logger was given a level."""
    parent = logging.getLogger("jupyter_orch")
    if parent.level == logging.NOTSET:
        parent.setLevel(PREFECT_LOGGING_LEVEL.value())
    if not name:
        return hide_api_key(parent)
    return hide_api_key(parent.getChild(name.removeprefix("jupyter_orch.")))


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
        with ExitStack() as stack:  # the run loggers, and the names Prefect's switches off
            for name in ("flow_runs", "task_runs", "flow_run", "task_run"):
                stack.enter_context(disable_logger(f"jupyter_orch.{name}"))
            yield
    finally:
        run_logger_disabled.reset(token)


def get_worker_logger(worker: Any, name: str | None = None) -> logging.Logger | logging.LoggerAdapter:
    """The logger of a worker: `jupyter_orch.workers.<type>.<name>`; its records carry the
    worker's `worker_id` once the worker is registered (`backend_id`)."""
    kind = getattr(worker, "type", None) or type(worker).__name__.lower()
    logger = get_logger(f"workers.{kind}.{(name or str(getattr(worker, 'name', 'worker'))).lower()}")
    backend_id = getattr(worker, "backend_id", None)
    if backend_id is None:
        return logger
    return PrefectLogAdapter(logger, extra={"worker_id": str(backend_id)})


@contextmanager
def patch_print() -> Iterator[None]:
    """Inside the block, `print()` to stdout or stderr in a run with `log_prints` is logged at
    INFO by the run logger instead of printed; elsewhere (or to another file) print is unchanged."""
    original = builtins.print

    def print_as_log(*args: Any, **kwargs: Any) -> None:
        ctx = task_run_ctx.get() or flow_run_ctx.get()
        if ctx is None or not ctx.log_prints or kwargs.get("file") not in (None, sys.stdout, sys.stderr):
            return original(*args, **kwargs)
        buffer = io.StringIO()
        original(*args, **{**kwargs, "file": buffer})
        get_run_logger(ctx).info(buffer.getvalue().rstrip())

    builtins.print = print_as_log
    try:
        yield
    finally:
        builtins.print = original


class LogEavesdropper(logging.Handler):
    """Collects the records a logger (and its children) logs inside the block; `text()` is them
    formatted one a line (`[LEVEL]: message` unless another formatter is set).

        with LogEavesdropper("my_logger") as eavesdropper:
            logging.getLogger("my_logger").info("Hello")
        eavesdropper.text()  # "[INFO]: Hello"
    """

    def __init__(self, eavesdrop_on: str, level: int = logging.NOTSET) -> None:
        super().__init__(level=level)
        self.eavesdrop_on = eavesdrop_on
        self._target_level: int | None = level or None
        self._saved_level = logging.NOTSET
        self._lines: list[str] = []
        self.setFormatter(logging.Formatter("[%(levelname)s]: %(message)s"))

    def __enter__(self) -> LogEavesdropper:
        logger = logging.getLogger(self.eavesdrop_on)
        self._saved_level = logger.level
        if self._target_level is not None:
            logger.setLevel(self._target_level)
        logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        logger = logging.getLogger(self.eavesdrop_on)
        logger.removeHandler(self)
        logger.setLevel(self._saved_level)

    def emit(self, record: logging.LogRecord) -> None:
        self._lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self._lines)
