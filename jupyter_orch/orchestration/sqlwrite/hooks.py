"""When a plain-SQL write may skip the store: no state-change hook has work for it.

The store (`store.flow_runs`) runs its state-change hooks (notifications, concurrency slots) after
every flow-run create and state change; the plain path has no session to run them with. Each
known hook has a query that finds a row whenever the hook may have work; a change for which any
query finds one, or with a hook installed that is not known here, goes through the store instead.
"""

from __future__ import annotations

import sys
from typing import Any

#: state-change hooks of the store (`store.flow_runs.STATE_CHANGE_HOOKS`) and a query that finds
#: a row whenever the hook may have work
HOOK_GUARDS = {
    "jupyter_orch.orchestration.store.concurrency._release_on_end": "SELECT 1 FROM concurrency_slots LIMIT 1",
    "jupyter_orch.orchestration.store.notifications.queue_deliveries": (
        "SELECT 1 FROM notification_policies LIMIT 1"
    ),
}


def hook_name(hook: Any) -> str:
    return f"{hook.__module__}.{hook.__qualname__}"


def hooks_have_work(conn: Any) -> bool:
    """True if a state-change hook may have work in `conn`'s transaction (a DB-API connection)."""
    store = sys.modules.get("jupyter_orch.orchestration.store.flow_runs")
    if store is not None and any(hook_name(h) not in HOOK_GUARDS for h in store.STATE_CHANGE_HOOKS):
        return True
    return any(conn.execute(sql).fetchone() is not None for sql in HOOK_GUARDS.values())
