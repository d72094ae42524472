"""Parameter values in their JSON form: what the database stores and the REST API returns."""

from __future__ import annotations

import json
from typing import Any


def is_json(value: Any) -> bool:
    """Whether `value` can be stored as it is (a schema default, a parameter)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of a parameter value, for the database (repr for what is not)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:
            pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)
