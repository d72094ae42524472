"""Prefect's `prefect.logging.filters`: keep secrets out of log records."""

from __future__ import annotations

import logging
from typing import Any

from jupyter_orch.settings import PREFECT_API_KEY
from jupyter_orch.utilities.names import obfuscate

__all__ = ["ObfuscateApiKeyFilter"]


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
    message or its arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        secret = PREFECT_API_KEY.value()
        if secret:
            record.msg = _redact(record.msg, secret)
            if isinstance(record.args, tuple):
                record.args = tuple(_redact(arg, secret) for arg in record.args)
            elif isinstance(record.args, dict):
                record.args = {key: _redact(arg, secret) for key, arg in record.args.items()}
        return True
