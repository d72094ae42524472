"""Prefect's `prefect.logging.formatters`: a JSON formatter (one object per record) and the
standard formatter with its own formats for flow-run and task-run records."""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

__all__ = ["JsonFormatter", "PrefectFormatter"]


def _jsonable(obj: Any) -> Any:
    """json.dumps' fallback: ids, times and paths as strings, exception info as text, else repr."""
    if isinstance(obj, (uuid.UUID, Path)):
        return str(obj)
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, BaseException):
        return "".join(traceback.format_exception(type(obj), obj, obj.__traceback__))
    if isinstance(obj, tuple) and len(obj) == 3 and isinstance(obj[1], BaseException):
        return "".join(traceback.format_exception(*obj))
    return repr(obj)


class JsonFormatter(logging.Formatter):
    """Formats a record as a JSON object of all its attributes; `fmt="pretty"` indents it,
    `fmt="default"` (or None) keeps it on one line."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, style: str = "%") -> None:
        if fmt not in (None, "pretty", "default"):
            raise ValueError(f"Invalid format {fmt!r}: expected 'pretty' or 'default'")
        super().__init__(datefmt=datefmt)
        self.indent = 4 if fmt == "pretty" else None

    def format(self, record: logging.LogRecord) -> str:
        fields = dict(record.__dict__)
        if record.exc_info:
            kind, exc, tb = record.exc_info
            fields["exc_info"] = {
                "type": getattr(kind, "__name__", str(kind)),
                "message": str(exc),
                "traceback": "".join(traceback.format_tb(tb)) if tb else None,
            }
        return json.dumps(fields, indent=self.indent, default=_jsonable)


class PrefectFormatter(logging.Formatter):
    """Uses `flow_run_fmt` for records of a flow run, `task_run_fmt` for those of a task run and
    `format` for the rest."""

    def __init__(
        self,
        format: str | None = None,
        datefmt: str | None = None,
        style: str = "%",
        validate: bool = True,
        *,
        defaults: dict[str, Any] | None = None,
        task_run_fmt: str | None = None,
        flow_run_fmt: str | None = None,
    ) -> None:
        super().__init__(format, datefmt, style, validate)  # type: ignore[arg-type]
        self._by_kind = {
            "task": logging.Formatter(task_run_fmt or format, datefmt, style, validate),  # type: ignore[arg-type]
            "flow": logging.Formatter(flow_run_fmt or format, datefmt, style, validate),  # type: ignore[arg-type]
        }

    def formatMessage(self, record: logging.LogRecord) -> str:
        if getattr(record, "task_run_id", None) is not None:
            return self._by_kind["task"].formatMessage(record)
        if getattr(record, "flow_run_id", None) is not None:
            return self._by_kind["flow"].formatMessage(record)
        return super().formatMessage(record)
