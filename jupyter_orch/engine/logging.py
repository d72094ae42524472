"""Run logs: `get_run_logger()` and `log_prints`.

Records of the run loggers (`jupyter_orch.flow_runs` and `jupyter_orch.task_runs`, Prefect's
`prefect.flow_runs` / `prefect.task_runs`) go to the run's log table (through the client's batch
writer, never a database call on the caller's thread), to stderr at INFO, and on to the root
logger's handlers as Prefect's do (pytest's `caplog` sees them); a root handler that already
writes to the terminal prints them instead of ours, so no line shows twice.
"""

from __future__ import annotations

import builtins
import logging
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.context import FlowRunContext, TaskRunContext, flow_run_ctx, get_run_context
from jupyter_orch.exceptions import MissingContextError
from jupyter_orch.settings import PREFECT_API_KEY, clip_log_message, obfuscate

#: the run loggers' parent: `jupyter_orch.flow_runs`, `jupyter_orch.task_runs`
RUN_LOGGER = "jupyter_orch"
RUN_LOGGER_KINDS = ("flow_runs", "task_runs")
_configured: dict[str, logging.Logger] = {}
_config_lock = threading.Lock()
_TERMINALS = (sys.__stderr__, sys.__stdout__)


class OrchLogHandler(logging.Handler):
    """Ships records that belong to a run to the current client's batch writer (except those
    logged with `extra={"send_to_api": False}`)."""

    def emit(self, record: logging.LogRecord) -> None:
        flow_run_id = _known(getattr(record, "flow_run_id", None))
        task_run_id = _known(getattr(record, "task_run_id", None))
        if flow_run_id is None and task_run_id is None:
            return
        if getattr(record, "send_to_api", True) is False:  # extra={"send_to_api": False}, as Prefect's
            return
        try:
            message = record.getMessage()
            if record.exc_info:
                message = f"{message}\n{logging.Formatter().formatException(record.exc_info)}"
            get_client().writer.add(
                "logs",
                {
                    "flow_run_id": flow_run_id,
                    "task_run_id": task_run_id,
                    "name": record.name,
                    "level": record.levelno,
                    "message": clip_log_message(message),
                    "timestamp": datetime.fromtimestamp(record.created, timezone.utc),
                },
            )
        except Exception:
            self.handleError(record)


def _known(run_id: Any) -> Any:
    """A run id a record carries, or None for the placeholders Prefect's loggers put where the
    run is unknown ("<unknown>", or "None" for a task run outside any flow run)."""
    return None if run_id in (None, UNKNOWN, "None") else run_id


class _RunFormatter(logging.Formatter):
    """The console's format: `%(run_label)s` is "Flow run 'name'" / "Task run 'name'" from the
    record's run names when the logger did not set it (loggers shaped as Prefect's)."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "run_label"):
            task_run_name = getattr(record, "task_run_name", None)
            flow_run_name = getattr(record, "flow_run_name", None)
            if task_run_name is not None:
                record.run_label = f"Task run {task_run_name!r}"
            elif flow_run_name is not None:
                record.run_label = f"Flow run {flow_run_name!r}"
            else:
                record.run_label = record.name
        return super().format(record)


class _ConsoleHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is now (a Jupyter kernel or pytest swaps it). In a Jupyter
    kernel, records below WARNING go to `sys.stdout` instead, so a `%%flow` cell's INFO lines read
    as the cell's ordinary output rather than in the red stderr box; warnings and errors stay there."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass

    def emit(self, record: logging.LogRecord) -> None:
        if _root_prints(record):
            return
        out = sys.stdout
        if record.levelno >= logging.WARNING or type(out).__name__ != "OutStream":  # ipykernel's stream
            out = sys.stderr
        try:
            out.write(self.format(record) + self.terminator)
            out.flush()
        except Exception:
            self.handleError(record)


def _root_prints(record: logging.LogRecord) -> bool:
    """Whether a handler of the root logger writes `record` to the terminal (where it propagates)."""
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None and logger.parent is not None:
        if not logger.propagate:
            return False
        logger = logger.parent
    terminals = (sys.stderr, sys.stdout, *_TERMINALS)
    return any(
        isinstance(h, logging.StreamHandler) and record.levelno >= h.level and h.stream in terminals
        for h in logging.getLogger().handlers
    )


def _configure(kind: str) -> logging.Logger:
    """The run logger of a kind ("flow_runs" or "task_runs"), given its handlers on first use."""
    logger = _configured.get(kind)
    if logger is not None:
        return logger
    with _config_lock:
        if not _configured:
            _handlers.extend(_make_handlers())
        logger = logging.getLogger(f"{RUN_LOGGER}.{kind}")
        if kind not in _configured:
            logger.setLevel(logging.INFO)
            for handler in _handlers:
                logger.addHandler(handler)
            _configured[kind] = hide_api_key(logger)
    return logger


_handlers: list[logging.Handler] = []


def _make_handlers() -> list[logging.Handler]:
    console = _ConsoleHandler()
    console.setLevel(logging.INFO)
    console.setFormatter(
        _RunFormatter("%(asctime)s.%(msecs)03d | %(levelname)-7s | %(run_label)s - %(message)s", "%H:%M:%S")
    )
    return [OrchLogHandler(logging.INFO), console]


class RunLogger(logging.LoggerAdapter):
    """A logger bound to one run; keeps the caller's `extra` alongside the run's."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        kwargs["extra"] = {**self.extra, **(kwargs.get("extra") or {})}  # type: ignore[dict-item]
        return msg, kwargs

    def getChild(self, suffix: str, extra: dict[str, Any] | None = None) -> RunLogger:  # noqa: N802 - logging's name
        """An adapter of the child logger `suffix` with this one's `extra` plus `extra`."""
        return RunLogger(self.logger.getChild(suffix), {**(self.extra or {}), **(extra or {})})


def _redact(obj: Any, secret: str) -> Any:
    """`obj` with `secret` masked in every string in it (nested lists, tuples, dicts, keys too)."""
    if isinstance(obj, str):
        return obj.replace(secret, obfuscate(secret))
    if isinstance(obj, (list, tuple, set)):
        return type(obj)(_redact(item, secret) for item in obj)
    if isinstance(obj, dict):
        return {_redact(key, secret): _redact(value, secret) for key, value in obj.items()}
    return obj


class ObfuscateApiKeyFilter(logging.Filter):
    """Replaces the API key in force (`PREFECT_API_KEY`) wherever it appears in a record's
    message or its arguments; never drops a record. Run loggers and `get_logger()` loggers
    carry it (Prefect's `prefect.logging.filters.ObfuscateApiKeyFilter`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        secret = PREFECT_API_KEY.value()
        if secret:
            record.msg = _redact(record.msg, secret)
            if isinstance(record.args, (tuple, dict)):
                record.args = _redact(record.args, secret)
        return True


def hide_api_key(logger: logging.Logger) -> logging.Logger:
    """Give `logger` the API key filter (once)."""
    if not any(isinstance(f, ObfuscateApiKeyFilter) for f in logger.filters):
        logger.addFilter(ObfuscateApiKeyFilter())
    return logger


def run_logger(flow_run_id: str | None, task_run_id: str | None, label: str, kind: str) -> RunLogger:
    base = _configure(kind)
    return RunLogger(base, {"flow_run_id": flow_run_id, "task_run_id": task_run_id, "run_label": label})


#: set by `jupyter_orch.logging.disable_run_logger()`: get_run_logger() returns a silent logger
run_logger_disabled: ContextVar[bool] = ContextVar("jupyter_orch_run_logger_disabled", default=False)


def get_run_logger(
    context: Any = None,
    on_missing_context: str = "raise",
    fallback_logger_name: str | None = None,
    **kwargs: Any,
) -> RunLogger | logging.Logger:
    """A logger for the current task run (or flow run) whose records are stored with the run
    (`context`: a run context to log for instead; `kwargs`: extra fields on every record). Its
    `extra` is Prefect's: the run's id and name, its flow's (and task's) name. Outside a run:
    MissingContextError, unless `on_missing_context` is "warn" (a debug line says so) or
    "ignore": then the plain logger `jupyter_orch[.fallback_logger_name]`, as Prefect's. Inside
    `disable_run_logger()`: a disabled logger named "null" (nothing is shown or stored)."""
    if run_logger_disabled.get():  # a silent logger: nothing is shown or stored (Prefect's)
        silent = logging.getLogger("null")
        silent.disabled = True
        return RunLogger(silent, kwargs)
    if context is not None and not isinstance(context, (FlowRunContext, TaskRunContext)):
        raise TypeError(f"Received unexpected type {type(context).__name__!r} for context.")
    try:
        ctx = context if context is not None else get_run_context()
    except MissingContextError as exc:
        if on_missing_context not in ("warn", "ignore"):
            raise MissingContextError(
                f"{exc} To log outside a run, pass on_missing_context='warn' or 'ignore'."
            ) from None
        return _fallback_logger(fallback_logger_name, warn=on_missing_context == "warn")
    if isinstance(ctx, FlowRunContext):
        return flow_run_logger(_flow_run_of(ctx), ctx.flow, **kwargs)
    task_run = SimpleNamespace(id=ctx.task_run_id, name=ctx.task_run_name, flow_run_id=ctx.flow_run_id)
    return task_run_logger(task_run, ctx.task, **kwargs)


def _fallback_logger(name: str | None, warn: bool) -> logging.Logger:
    """`get_run_logger`'s logger outside a run: `jupyter_orch`, or its child `name`."""
    logger = logging.getLogger(
        RUN_LOGGER if not name else f"{RUN_LOGGER}.{name.removeprefix(RUN_LOGGER + '.')}"
    )
    if warn:
        logger.debug(
            "No active flow or task run context found; logging with the %r logger instead.", logger.name
        )
    return hide_api_key(logger)


UNKNOWN = "<unknown>"


def _get(obj: Any, name: str) -> Any:
    """A field of a run description: an object (FlowRun, TaskRun) or a record (dict)."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _flow_run_of(ctx: FlowRunContext) -> Any:
    """The id and name of a flow run context's run (None for a context made without one)."""
    return None if ctx.flow_run_id is None else SimpleNamespace(id=ctx.flow_run_id, name=ctx.flow_run_name)


def flow_run_logger(flow_run: Any, flow: Any = None, **kwargs: Any) -> RunLogger:
    """The logger of a flow run given its description (a hook's `flow_run`, or a record); usable
    where there is no run context, such as in a state-change hook. `extra` as Prefect's:
    `flow_run_name`, `flow_run_id`, `flow_name` ("<unknown>" where not known), then `kwargs`."""
    extra = {
        "flow_run_name": UNKNOWN if flow_run is None else _get(flow_run, "name"),
        "flow_run_id": UNKNOWN if flow_run is None else str(_get(flow_run, "id")),
        "flow_name": getattr(flow, "name", None) or UNKNOWN,
    }
    return RunLogger(_configure("flow_runs"), {**extra, **kwargs})


def task_run_logger(
    task_run: Any, task: Any = None, flow_run: Any = None, flow: Any = None, **kwargs: Any
) -> RunLogger:
    """The logger of a task run given its description (a hook's `task_run`); the flow run and
    flow not given are those of the flow run in progress, if any. `extra` as Prefect's."""
    if flow_run is None or flow is None:
        ctx = flow_run_ctx.get()
        if ctx is not None:
            flow_run = flow_run if flow_run is not None else _flow_run_of(ctx)
            flow = flow or ctx.flow
    extra = {
        "task_run_id": str(_get(task_run, "id")),
        "flow_run_id": str(_get(task_run, "flow_run_id")),
        "task_run_name": _get(task_run, "name"),
        "task_name": getattr(task, "name", None) or UNKNOWN,
        "flow_run_name": UNKNOWN if flow_run is None else _get(flow_run, "name"),
        "flow_name": getattr(flow, "name", None) or UNKNOWN,
    }
    return RunLogger(_configure("task_runs"), {**extra, **kwargs})


# -- log_prints ----------------------------------------------------------------------------------
#: where `print` output of the current run is recorded (None: not captured)
print_target: ContextVar[Callable[[str], None] | None] = ContextVar("jupyter_orch_print_target", default=None)
_original_print = builtins.print
_print_hooked = False


def _print(
    *args: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None, flush: bool = False
) -> None:
    _original_print(*args, sep=sep, end=end, file=file, flush=flush)
    if file is None or file is sys.stdout:
        target = print_target.get()
        if target is not None:
            target((" " if sep is None else sep).join(str(a) for a in args))


def install_print_hook() -> None:
    """Wrap `builtins.print` once; it records only while a run with log_prints is active."""
    global _print_hooked
    if not _print_hooked:
        builtins.print = _print
        _print_hooked = True


def print_recorder(flow_run_id: str | None, task_run_id: str | None) -> Callable[[str], None]:
    """A callable that stores one printed line as an INFO log of the given run."""
    writer = get_client().writer

    def record(message: str) -> None:
        writer.add(
            "logs",
            {
                "flow_run_id": flow_run_id,
                "task_run_id": task_run_id,
                "name": f"{RUN_LOGGER}.{'task_runs' if task_run_id else 'flow_runs'}",
                "level": logging.INFO,
                "message": clip_log_message(message),
                "timestamp": datetime.now(timezone.utc),
            },
        )

    return record
