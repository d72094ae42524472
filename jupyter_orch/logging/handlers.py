"""Prefect's `prefect.logging.handlers`: `APILogHandler` ships records of runs to the API
through the client's batch writer (the `APILogWorker`), `WorkerAPILogHandler` does the same
for a worker's records, `PrefectConsoleHandler` writes records to the console (styled with
`rich` when it is installed)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
import uuid
import warnings
from datetime import datetime, timezone
from typing import Any, ClassVar

from jupyter_orch._internal.concurrency.api import in_global_loop
from jupyter_orch.client import get_client
from jupyter_orch.client.schemas.actions import LogCreate
from jupyter_orch.engine.context import flow_run_ctx, task_run_ctx
from jupyter_orch.exceptions import MissingContextError
from jupyter_orch.logging.highlighters import PrefectConsoleHighlighter
from jupyter_orch.settings import (
    PREFECT_LOGGING_COLORS,
    PREFECT_LOGGING_MARKUP,
    PREFECT_LOGGING_TO_API_ENABLED,
    PREFECT_LOGGING_TO_API_MAX_LOG_SIZE,
    PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW,
    clip_log_message,
)

__all__ = ["APILogHandler", "APILogWorker", "PrefectConsoleHandler", "WorkerAPILogHandler"]


class APILogWorker:
    """The process's log shipper: `send()` queues one log (a `LogCreate` as JSON) on the current
    client's batch writer, which writes logs in batches off the caller's thread."""

    _instance: ClassVar[APILogWorker | None] = None
    _lock = threading.Lock()

    @classmethod
    def instance(cls) -> APILogWorker:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def send(self, log: dict[str, Any]) -> None:
        stamp = log.get("timestamp")
        get_client().writer.add(
            "logs",
            {
                "flow_run_id": log.get("flow_run_id"),
                "task_run_id": log.get("task_run_id"),
                "name": log["name"],
                "level": log["level"],
                "message": clip_log_message(log["message"]),
                "timestamp": datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp,
            },
        )

    def flush(self) -> None:
        get_client().writer.flush()

    async def drain(self) -> None:
        """Write every queued log now, off the event loop."""
        await asyncio.to_thread(self.flush)

    @classmethod
    def drain_all(cls, timeout: float | None = None) -> None:
        """Write every queued log now (blocks until written)."""
        if cls._instance is not None:
            cls._instance.flush()


def _run_ids(record: logging.LogRecord) -> tuple[Any, Any]:
    """The record's flow run and task run: explicit ones (`extra=`) over the run in progress."""
    task_ctx, flow_ctx = task_run_ctx.get(), flow_run_ctx.get()
    flow_run_id = getattr(record, "flow_run_id", None)
    task_run_id = getattr(record, "task_run_id", None)
    if task_run_id is None and task_ctx is not None:
        task_run_id = task_ctx.task_run_id
        flow_run_id = flow_run_id or task_ctx.flow_run_id
    if flow_run_id is None and flow_ctx is not None:
        flow_run_id = flow_ctx.flow_run_id
    return flow_run_id, task_run_id


class APILogHandler(logging.Handler):
    """Sends records of flow and task runs to the API. A record outside any run is warned
    about, raised or ignored per `PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW`; records logged with
    `extra={"send_to_api": False}` and all records while `PREFECT_LOGGING_TO_API_ENABLED` is off
    are not sent."""

    def flush(self) -> None:
        """Write queued logs now. Not from the global event loop's thread, which it would block."""
        if in_global_loop():
            raise RuntimeError("Flushing logs from the global event loop would block it; use `aflush`.")
        APILogWorker.drain_all()

    async def aflush(self) -> None:
        await asyncio.to_thread(APILogWorker.drain_all)

    def close(self) -> None:
        """Closing does not flush: logs still queued are written by the worker in time."""
        super().close()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if not PREFECT_LOGGING_TO_API_ENABLED.value() or getattr(record, "send_to_api", True) is False:
                return
            log = self.prepare(record)
            if log is not None:
                APILogWorker.instance().send(log)
        except Exception:
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        _, exc, _ = sys.exc_info()
        if isinstance(exc, MissingContextError):
            raise exc  # PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW="error"
        super().handleError(record)

    def _get_payload_size(self, log: dict[str, Any]) -> int:
        """The size of a log as the API receives it (its JSON)."""
        return len(json.dumps(log))

    def _missing_flow_run(self, record: logging.LogRecord) -> None:
        policy = PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW.value()
        if policy == "ignore":
            return
        message = (
            f"Logger {record.name!r} attempted to send logs to the API without a flow run id. The API log "
            "handler can only send logs within flow run contexts unless the flow run id is manually provided."
        )
        if policy == "error":
            raise MissingContextError(message)
        warnings.warn(message, UserWarning, stacklevel=_caller_stacklevel())

    def prepare(self, record: logging.LogRecord) -> dict[str, Any] | None:
        """The record as the JSON of a `LogCreate` plus its `__payload_size__`; None when it
        belongs to no flow run."""
        flow_run_id, task_run_id = _run_ids(record)
        if flow_run_id is None:
            self._missing_flow_run(record)
            return None
        created = record.created if record.created is not None else time.time()
        log = LogCreate.construct(
            flow_run_id=_uuid(flow_run_id),
            task_run_id=_uuid(task_run_id),
            name=record.name,
            level=record.levelno,
            timestamp=datetime.fromtimestamp(created, timezone.utc),
            message=self.format(record),
        ).dict(json_compatible=True)
        log["__payload_size__"] = size = self._get_payload_size(log)
        limit = PREFECT_LOGGING_TO_API_MAX_LOG_SIZE.value()
        if size > limit:  # as Prefect's: the message is cut to fit, and says so
            log = _truncated(log, size, limit)
            log["__payload_size__"] = self._get_payload_size(log)
        return log


_TRUNCATED = "... [truncated]"


def _truncated(log: dict[str, Any], size: int, limit: int) -> dict[str, Any]:
    """`log` with its message shortened so the payload fits `limit` bytes, ending in a marker."""
    cut = {**log, "__payload_truncated__": True}
    over = len(json.dumps(cut)) + len(_TRUNCATED) - limit
    cut["message"] = log["message"][: max(0, len(log["message"]) - over)] + _TRUNCATED
    return cut


def _caller_stacklevel() -> int:
    """The stack level of the code that logged (the first frame outside logging's machinery),
    so that a warning points at its line."""
    skip = {logging.__file__, __file__}
    frame, level = sys._getframe(2), 2  # the caller of _missing_flow_run's caller's caller
    while frame.f_back is not None and (
        frame.f_code.co_filename in skip or "/logging/" in frame.f_code.co_filename
    ):
        frame, level = frame.f_back, level + 1
    return level


def _uuid(value: Any) -> uuid.UUID | None:
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))


class WorkerAPILogHandler(APILogHandler):
    """The API log handler of a worker's logger (`get_worker_logger`): only records carrying a
    `worker_id` are its own; those outside a flow run are dropped silently."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "worker_id", None) is None:
            return
        if _run_ids(record)[0] is None:
            return
        super().emit(record)


class PrefectConsoleHandler(logging.StreamHandler):
    """Writes records to a stream (stderr by default), coloured by `highlighter` through `rich`
    when it is installed and `styles` is not turned off."""

    def __init__(
        self,
        stream: Any = None,
        highlighter: type = PrefectConsoleHighlighter,
        styles: dict[str, str] | None = None,
        level: int | str = logging.NOTSET,
    ) -> None:
        super().__init__(stream=stream)
        self.setLevel(level)
        self.console = _rich_console(self.stream, highlighter, styles)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            if self.console is None:
                self.stream.write(message + self.terminator)
                self.flush()
            else:
                self.console.print(message, soft_wrap=True)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


def _rich_console(stream: Any, highlighter: type, styles: dict[str, str] | None) -> Any:
    """A rich console on `stream`, or None without rich; plain when `PREFECT_LOGGING_COLORS` is off."""
    try:
        from rich.console import Console  # reason: rich is optional (plain stream without it)
        from rich.highlighter import NullHighlighter
        from rich.theme import Theme
    except ImportError:
        return None
    if not PREFECT_LOGGING_COLORS.value():
        highlighter, styles = NullHighlighter, None
    return Console(
        file=stream,
        highlighter=highlighter(),
        theme=Theme(styles or {}, inherit=False),
        markup=bool(PREFECT_LOGGING_MARKUP.value()),
        no_color=not PREFECT_LOGGING_COLORS.value(),
    )
