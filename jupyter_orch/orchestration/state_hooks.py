"""What else happens, in the same transaction, when a flow run is created or changes state.

A `StateHook` runs on the DB-API connection the run was written on (whichever writer wrote it:
the store on its session's connection, or a process's own `sqlite3` connection), so every
writer runs every hook and none has to hand a write over to another path. Each hook first says
cheaply whether it has work (`has_work`: a pure check of the new state, then one indexed probe),
so a change nobody listens to costs at most a probe per hook.

`STATE_HOOKS` is the one place hooks are registered; `orchestration.run_writer.RunWriter` runs
them after every accepted write.
"""

from __future__ import annotations

import abc
from typing import Any

from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.sqlwrite.rows import executemany_on
from jupyter_orch.states import TERMINAL_STATES, State, new_uuid, utcnow


class StateHook(abc.ABC):
    """One reaction to accepted flow-run creates and state changes."""

    @abc.abstractmethod
    def has_work(self, conn: Any, d: sqlwrite.Dialect, new: State) -> bool:
        """Whether `run` may do anything for a change to `new` (cheap: called on every change)."""

    @abc.abstractmethod
    def run(self, conn: Any, d: sqlwrite.Dialect, run: Any, initial: State | None, new: State) -> None:
        """React to the change of `run` (its columns as written) from `initial` to `new`."""


class ReleaseConcurrencySlots(StateHook):
    """When a flow run ends, free its slots and those of its task runs (crashed engines never will)."""

    def has_work(self, conn: Any, d: sqlwrite.Dialect, new: State) -> bool:
        if new.type not in TERMINAL_STATES:
            return False
        return conn.execute("SELECT 1 FROM concurrency_slots LIMIT 1").fetchone() is not None

    def run(self, conn: Any, d: sqlwrite.Dialect, run: Any, initial: State | None, new: State) -> None:
        sql = d.sql(
            "release_run_slots",
            lambda: (
                "DELETE FROM concurrency_slots WHERE holder_id = ?"
                " OR holder_id IN (SELECT id FROM task_runs WHERE flow_run_id = ?)"
            ),
        )
        conn.execute(sql, (run.id, run.id))


DEFAULT_TEMPLATE = "Flow run {flow_name}/{flow_run_name} entered state {state_name}"
_POLICY_COLUMNS = ("id", "channel", "state_names", "tags", "deployment_ids", "message_template")


def policy_matches(policy: Any, run: Any, state: State) -> bool:
    """Whether a notification policy asks to hear of `run` entering `state`."""
    names = policy.state_names
    if names and state.name not in names and state.type.value not in names:
        return False
    if policy.tags and not set(policy.tags) & set(run.tags or []):
        return False
    return not (policy.deployment_ids and run.deployment_id not in policy.deployment_ids)


def render(policy: Any, run: Any, state: State) -> tuple[str, dict[str, Any]]:
    """The subject and body of a notification of `run` entering `state`."""
    values = {
        "flow_run_name": run.name,
        "flow_run_id": run.id,
        "flow_name": run.flow_name,
        "deployment_name": run.deployment_name or "",
        "deployment_id": run.deployment_id or "",
        "state_name": state.name,
        "state_type": state.type.value,
        "state_message": state.message or "",
        "tags": ", ".join(run.tags or []),
    }
    text = (policy.message_template or DEFAULT_TEMPLATE).format(**values)
    if state.message and not policy.message_template:
        text += f": {state.message}"
    return text, {"text": text, **values, "timestamp": state.timestamp.isoformat()}


class _Policy:
    __slots__ = _POLICY_COLUMNS

    def __init__(self, d: sqlwrite.Dialect, row: tuple) -> None:
        self.id, self.channel, names, tags, deployments, self.message_template = row
        self.state_names = sqlwrite.read_json(d, names)
        self.tags = sqlwrite.read_json(d, tags)
        self.deployment_ids = sqlwrite.read_json(d, deployments)


class QueueNotifications(StateHook):
    """One notification delivery per active policy that matches the transition, queued in its
    transaction (none lost, none for a transition that rolled back); the notifications service
    sends them later, so a slow webhook never delays a run."""

    def has_work(self, conn: Any, d: sqlwrite.Dialect, new: State) -> bool:
        probe = "SELECT 1 FROM notification_policies WHERE is_active LIMIT 1"
        return conn.execute(probe).fetchone() is not None

    def run(self, conn: Any, d: sqlwrite.Dialect, run: Any, initial: State | None, new: State) -> None:
        select = d.sql(
            "active_policies",
            lambda: f"SELECT {', '.join(_POLICY_COLUMNS)} FROM notification_policies WHERE is_active",
        )
        now = utcnow()
        rows = []
        for policy in (_Policy(d, row) for row in conn.execute(select).fetchall()):
            if not policy_matches(policy, run, new):
                continue
            subject, body = render(policy, run, new)
            sent = policy.channel == "ui"  # the UI reads it from the table: nothing to send
            rows.append(
                {
                    "id": new_uuid(),
                    "policy_id": policy.id,
                    "flow_run_id": run.id,
                    "state_id": new.id,
                    "channel": policy.channel,
                    "subject": subject,
                    "body": body,
                    "status": "SENT" if sent else "PENDING",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created": now,
                }
            )
        if rows:
            executemany = executemany_on(conn)
            sqlwrite.insert_rows(executemany, d, "notification_deliveries", rows, "policy_id, state_id")


#: THE registration of state-change hooks: every writer of run state runs these, in this order
STATE_HOOKS: tuple[StateHook, ...] = (ReleaseConcurrencySlots(), QueueNotifications())
