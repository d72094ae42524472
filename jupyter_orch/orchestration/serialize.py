"""Database rows → JSON-ready dicts, the one shape used by the API, the CLI's --json and clients."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from jupyter_orch.states import State, _parse_dt, stored_data


def row_to_dict(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in row.__table__.columns:
        value = getattr(row, col.key)
        out[col.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def state_data(state: State) -> dict[str, Any] | None:
    """What a run row keeps of its current state beyond type, name and message."""
    data = state._data  # what is stored (a reference), never the record `state.data` makes of a value
    if data is None and state.scheduled_time is None:
        return None
    return {
        "result": stored_data(data),  # a reference; never a value held in memory only
        "scheduled_time": state.scheduled_time.isoformat() if state.scheduled_time else None,
    }


def state_of(row: Any) -> State | None:
    """The current state stored on a run row."""
    if row.state_id is None:
        return None
    data = row.state_data or {}
    scheduled = data.get("scheduled_time") if isinstance(data, dict) else None
    return State(
        row.state_type,
        name=row.state_name,
        message=row.state_message,
        timestamp=row.state_timestamp,
        data=data.get("result") if isinstance(data, dict) else None,
        scheduled_time=_parse_dt(scheduled),
        id=row.state_id,
    )


def run_to_dict(row: Any) -> dict[str, Any]:
    """A flow run or task run, with its current state as a nested object too."""
    out = row_to_dict(row)
    state = state_of(row)
    out["state"] = state.to_dict() if state else None
    out.pop("state_data", None)
    if out["start_time"] and out.get("end_time") is None and row.state_type == "RUNNING":
        out["estimated_run_time"] = row.total_run_time
    return out


def run_values_to_dict(values: Mapping[str, Any]) -> dict[str, Any]:
    """`run_to_dict` of a run from the column values just written (every column, table order),
    without reading the row back: the same JSON as reading it would give."""
    out = {
        k: (v.astimezone(timezone.utc).isoformat() if isinstance(v, datetime) else v)
        for k, v in values.items()
    }
    state = state_of(SimpleNamespace(**values))
    out["state"] = state.to_dict() if state else None
    out.pop("state_data", None)
    if out["start_time"] and out.get("end_time") is None and values.get("state_type") == "RUNNING":
        out["estimated_run_time"] = values.get("total_run_time")
    return out


def deployment_to_dict(row: Any, schedules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out = row_to_dict(row)
    out["full_name"] = f"{row.flow_name}/{row.name}"
    out["schedules"] = schedules or []
    return out
