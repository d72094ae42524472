"""The one write path of flow runs: every create and state change goes through `RunWriter`.

A `RunWriter` wraps a DB-API connection in an open transaction and its `sqlwrite` dialect: the
store passes its session's connection, the client's in-process transport and the server's
writer thread their own `sqlite3` connection. It writes with `orchestration.sqlwrite` (the rules
and a compare-and-set) and then runs the state hooks (`state_hooks.STATE_HOOKS`) that say they
have work, in the same transaction, so no writer needs to hand a write to another path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from jupyter_orch.orchestration import rules, sqlwrite, state_hooks
from jupyter_orch.orchestration.state_hooks import StateHook
from jupyter_orch.states import State, StateType

#: what a plain-SQL form of an API operation answers when the request must go through the
#: operation itself (a check only the store's session makes, a body it validates)
PASS = object()


class RunWriter:
    """Flow-run writes on `conn` (DB-API, in a transaction) in dialect `d`, then the hooks
    (`state_hooks.STATE_HOOKS` unless given).

    `on_write(run_id)` is called after each accepted state change (the store expires its ORM
    copy of the run there)."""

    def __init__(
        self,
        conn: Any,
        d: sqlwrite.Dialect,
        hooks: Sequence[StateHook] | None = None,
        on_write: Callable[[str], None] | None = None,
    ) -> None:
        self.conn = conn
        self.d = d
        self.hooks = state_hooks.STATE_HOOKS if hooks is None else hooks
        self.on_write = on_write

    def create_flow_run(self, **fields: Any) -> dict[str, Any] | None:
        """`sqlwrite.create_flow_run` (every column written, or None for an idempotency key
        already used), then the hooks with the run's first state."""
        state = fields.get("state") or State(StateType.PENDING)
        fields["state"] = state
        values = sqlwrite.create_flow_run(self.conn, self.d, **fields)
        if values is not None:
            self._run_hooks(SimpleNamespace(**values), None, state)
        return values

    def set_flow_run_state(
        self, run_id: str, proposed: State, force: bool = False, max_attempts: int = 8
    ) -> rules.Decision:
        """Propose a state; the rules decide, an accepted one is written atomically (see
        `sqlwrite.set_flow_run_state`), then the hooks run."""
        return sqlwrite.set_flow_run_state(
            self.conn, self.d, run_id, proposed, force=force, max_attempts=max_attempts, written=self._written
        )

    def set_flow_run_states(
        self, proposals: list[tuple[str, State]], force: bool = False
    ) -> dict[str, rules.Decision]:
        """`set_flow_run_state` for many runs in this transaction; an unknown run is ABORT."""
        return sqlwrite.set_flow_run_states(self.conn, self.d, proposals, force=force, written=self._written)

    def _written(self, run: Any, initial: State | None, new: State, values: dict[str, Any]) -> None:
        if self.on_write is not None:
            self.on_write(run.id)
        self._run_hooks(run, initial, new, values)

    def _run_hooks(
        self, run: Any, initial: State | None, new: State, values: dict[str, Any] | None = None
    ) -> None:
        after = None
        for hook in self.hooks:
            if hook.has_work(self.conn, self.d, new):
                if after is None:  # the run as it is now: the columns read, updated by those written
                    after = SimpleNamespace(**{**vars(run), **values}) if values else run
                hook.run(self.conn, self.d, after, initial, new)
