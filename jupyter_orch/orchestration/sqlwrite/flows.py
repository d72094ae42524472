"""Flows as plain SQL: a flow's id by name (created on first use) and the readable names runs
get from their ids."""

from __future__ import annotations

from typing import Any

from jupyter_orch.orchestration.sqlwrite.rows import Dialect, executemany_on, insert_rows, read_json
from jupyter_orch.states import new_uuid, utcnow

_ADJECTIVES = (
    "amber", "brisk", "calm", "daring", "eager", "fuzzy", "gentle", "hidden", "icy", "jolly",
    "keen", "lucky", "misty", "nimble", "olive", "proud", "quiet", "rapid", "silver", "tidy",
)  # fmt: skip
_NOUNS = (
    "otter", "falcon", "maple", "comet", "heron", "lynx", "orchid", "pebble", "quokka", "raven",
    "salmon", "tiger", "walrus", "yak", "zebra", "badger", "cobra", "dingo", "egret", "ferret",
)  # fmt: skip


def generate_run_name(run_id: str) -> str:
    """A readable name derived from the id ("brisk-otter-123"), like Prefect's."""
    n = int(run_id.replace("-", "")[:8], 16)
    return f"{_ADJECTIVES[n % len(_ADJECTIVES)]}-{_NOUNS[(n // 20) % len(_NOUNS)]}-{n % 1000:03d}"


def flow_id_by_name(conn: Any, d: Dialect, name: str, parameter_schema: dict[str, Any] | None) -> str:
    """The id of the flow named `name`, created if new (two processes racing both get the one
    row); its parameter schema updated if given and changed. As `store.flows.flow_by_name`."""
    select = d.sql("flow_by_name", lambda: "SELECT id, parameter_schema FROM flows WHERE name = ?")
    row = conn.execute(select, (name,)).fetchone()
    if row is None:
        now = utcnow()
        values = {
            "id": new_uuid(),
            "name": name,
            "tags": [],
            "parameter_schema": parameter_schema,
            "created": now,
            "updated": now,
        }
        insert_rows(executemany_on(conn), d, "flows", [values], "name")
        row = conn.execute(select, (name,)).fetchone()
    elif parameter_schema is not None and read_json(d, row[1]) != parameter_schema:
        update = d.sql(
            "flow_schema", lambda: "UPDATE flows SET parameter_schema = ?, updated = ? WHERE id = ?"
        )
        conn.execute(update, (d.json(parameter_schema), d.ts(utcnow()), row[0]))
    return row[0]
