"""Orchestration rules: which state transitions are allowed, and what happens instead.

Every proposed state change of a flow run or task run — from the engine in any process (through
the embedded or the HTTP client), from a worker, from the scheduler or from a user — is judged here
by a chain of small rule objects. Each rule names the FROM and TO state types it cares about and
returns a decision or nothing; the first decision wins, no decision means ACCEPT. The rules are
pure (no I/O), so the engine can apply the task-run chain in-process on its hot path and the
server can apply the flow-run chain inside a database transaction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from jupyter_orch.states import TERMINAL_STATES, State, StateType, utcnow

ALL_TYPES: frozenset[StateType | None] = frozenset([*StateType, None])
S = StateType

ACCEPT = "ACCEPT"
REJECT = "REJECT"
WAIT = "WAIT"
ABORT = "ABORT"


@dataclass
class Decision:
    """The answer to a proposed transition.

    `state` is the state the run is in afterwards: the proposed one (ACCEPT), the current one
    (ABORT/WAIT), or a replacement (REJECT: e.g. AwaitingRetry instead of Failed).
    """

    status: str
    state: State | None
    reason: str = ""
    delay_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "state": self.state.to_dict() if self.state else None,
            "reason": self.reason,
        }
        if self.delay_seconds is not None:
            out["delay_seconds"] = self.delay_seconds
        return out


@dataclass
class RunPolicy:
    """What a run was created with that the rules need: retries and their delays."""

    retries: int = 0
    retry_delay_seconds: float | list[float] = 0
    retry_jitter_factor: float | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> RunPolicy:
        d = d or {}
        return cls(
            retries=int(d.get("retries") or 0),
            retry_delay_seconds=d.get("retry_delay_seconds") or 0,
            retry_jitter_factor=d.get("retry_jitter_factor"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "retries": self.retries,
            "retry_delay_seconds": self.retry_delay_seconds,
            "retry_jitter_factor": self.retry_jitter_factor,
        }

    def delay_for(self, attempt: int) -> float:
        """The delay before retry number `attempt` (1-based), with jitter if configured."""
        delays = self.retry_delay_seconds
        if isinstance(delays, (list, tuple)):
            base = float(delays[min(attempt, len(delays)) - 1]) if delays else 0.0
        else:
            base = float(delays or 0)
        if self.retry_jitter_factor and base > 0:
            base = max(0.0, base + base * self.retry_jitter_factor * random.uniform(-1, 1))
        return base


@dataclass
class TransitionContext:
    """A proposal: the run's current state, the proposed one, and what the rules may consult."""

    kind: str  # "flow" or "task"
    initial: State | None
    proposed: State
    run_count: int = 0
    policy: RunPolicy = field(default_factory=RunPolicy)
    force: bool = False
    now: datetime = field(default_factory=utcnow)

    @property
    def initial_type(self) -> StateType | None:
        return self.initial.type if self.initial else None


class Rule:
    """One rule: looks only at proposals FROM_STATES → TO_STATES; returns a decision or None."""

    FROM_STATES: ClassVar[frozenset[StateType | None]] = ALL_TYPES
    TO_STATES: ClassVar[frozenset[StateType]] = frozenset(StateType)

    def applies(self, ctx: TransitionContext) -> bool:
        return ctx.initial_type in self.FROM_STATES and ctx.proposed.type in self.TO_STATES

    def decide(self, ctx: TransitionContext) -> Decision | None:  # pragma: no cover - interface
        raise NotImplementedError

    def abort(self, ctx: TransitionContext, reason: str) -> Decision:
        return Decision(ABORT, ctx.initial, reason)

    def reject(self, ctx: TransitionContext, state: State, reason: str) -> Decision:
        return Decision(REJECT, state, reason)


class PreventDuplicateTransition(Rule):
    """A retried request for a transition already applied (same state id) changes nothing."""

    def decide(self, ctx: TransitionContext) -> Decision | None:
        if ctx.initial is not None and ctx.initial.id == ctx.proposed.id:
            return Decision(ACCEPT, ctx.initial, "transition already applied")
        return None


class PreventPendingTransitions(Rule):
    """Only one claimant can move a run to PENDING: the others are told to stand down."""

    FROM_STATES = frozenset({S.PENDING, S.RUNNING, S.CANCELLING, S.CANCELLED, S.PAUSED})
    TO_STATES = frozenset({S.PENDING})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        return self.abort(ctx, f"run is already {ctx.initial_type.value}; it cannot be claimed again")


class HandleTerminalStates(Rule):
    """A finished run stays finished, except that a failed, crashed or cancelled one may be retried.

    Going back to SCHEDULED or PENDING restarts it (a retry); COMPLETED is final.
    """

    FROM_STATES = frozenset(TERMINAL_STATES)

    def decide(self, ctx: TransitionContext) -> Decision | None:
        if ctx.initial_type is S.COMPLETED:
            return self.abort(ctx, "run already completed")
        if ctx.proposed.type in (S.SCHEDULED, S.PENDING):
            return None
        return self.abort(ctx, f"run already finished as {ctx.initial.name}")  # type: ignore[union-attr]


class PreventRunningWithoutPending(Rule):
    """A flow run is claimed (PENDING) before it runs, so two processes never run it both."""

    FROM_STATES = frozenset({S.SCHEDULED, None})
    TO_STATES = frozenset({S.RUNNING})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        return self.reject(ctx, ctx.initial or ctx.proposed, "a run must be PENDING before it runs")


class WaitForScheduledTime(Rule):
    """A run scheduled in the future is told to wait rather than start early.

    Claim-ahead: a worker may claim a run up to `CLAIM_AHEAD_SECONDS` before its time by proposing
    a PENDING that carries a `scheduled_time` no earlier than the run's: its promise to start the
    run at that time (a local timer), not before. The claim is then exclusive ahead of time (no
    other worker can take the run), and a worker that dies before starting it stops heartbeating
    the run, which crash detection then marks Crashed like any other lost claim.
    """

    FROM_STATES = frozenset({S.SCHEDULED})
    TO_STATES = frozenset({S.PENDING})
    #: long enough for a worker to prepare a process for each of a thousand runs due in the same
    #: minute (~15 ms of CPU each on 2 cores); workers claim 30 s ahead by default
    CLAIM_AHEAD_SECONDS: ClassVar[float] = 60.0

    def decide(self, ctx: TransitionContext) -> Decision | None:
        when = ctx.initial.scheduled_time if ctx.initial else None
        if when is None:
            return None
        delay = (when - ctx.now).total_seconds()
        if delay <= 0:
            return None
        promised = ctx.proposed.scheduled_time
        if promised is not None and promised >= when and delay <= self.CLAIM_AHEAD_SECONDS:
            return None  # claimed ahead, to be started at `promised`
        return Decision(WAIT, ctx.initial, f"scheduled to start in {delay:.1f}s", delay_seconds=delay)


class HandleCancellation(Rule):
    """While a run is being cancelled, it may only end (CANCELLED or another final state)."""

    FROM_STATES = frozenset({S.CANCELLING})
    TO_STATES = frozenset({S.SCHEDULED, S.PENDING, S.RUNNING, S.PAUSED, S.CANCELLING})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        return self.abort(ctx, "run is being cancelled")


class RetryFailedRuns(Rule):
    """A run that fails with retries left is rescheduled as AwaitingRetry after its delay (a task
    run without a delay enters Retrying at once)."""

    FROM_STATES = frozenset({S.RUNNING})
    TO_STATES = frozenset({S.FAILED, S.CRASHED})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        if ctx.proposed.name == "TimedOut" and ctx.kind == "flow":
            return None  # a flow that timed out is not retried (Prefect's behaviour)
        attempts = max(ctx.run_count, 1)  # a crash before RUNNING spent its first attempt too
        if attempts > ctx.policy.retries:
            return None
        delay = ctx.policy.delay_for(attempts)
        if delay <= 0 and ctx.kind == "task":  # as Prefect's task engine: straight to Retrying
            retry = State(S.RUNNING, name="Retrying", message=ctx.proposed.message, timestamp=ctx.now)
            return self.reject(ctx, retry, f"retry {attempts} of {ctx.policy.retries} now")
        retry = State(
            S.SCHEDULED,
            name="AwaitingRetry",
            message=ctx.proposed.message,
            scheduled_time=ctx.now + timedelta(seconds=delay),
            timestamp=ctx.now,
        )
        return self.reject(ctx, retry, f"retry {attempts} of {ctx.policy.retries} in {delay:g}s")


class CrashedRunsRetry(RetryFailedRuns):
    """A crash noticed by the server (lost heartbeat) is retried like a failure, from any live state."""

    FROM_STATES = frozenset({S.PENDING, S.RUNNING})
    TO_STATES = frozenset({S.CRASHED})


class HandlePausingFlows(Rule):
    """Only a running flow run can pause (or suspend): it is the flow itself that asks."""

    FROM_STATES = ALL_TYPES - {S.RUNNING, S.PAUSED}
    TO_STATES = frozenset({S.PAUSED})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        kind = ctx.initial_type.value if ctx.initial_type else "not started"
        return self.abort(ctx, f"only a running flow run can pause; this one is {kind}")


class HandleResumingPausedFlows(Rule):
    """A suspended run's process has ended: it resumes by being scheduled again, not by RUNNING."""

    FROM_STATES = frozenset({S.PAUSED})
    TO_STATES = frozenset({S.RUNNING})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        data = ctx.initial._data if ctx.initial is not None else None
        if isinstance(data, dict) and data.get("pause_reschedule"):
            return self.abort(ctx, "a suspended flow run resumes as SCHEDULED (its process has ended)")
        return None


FLOW_RUN_RULES: tuple[Rule, ...] = (
    PreventDuplicateTransition(),
    HandleTerminalStates(),
    HandleCancellation(),
    HandlePausingFlows(),
    HandleResumingPausedFlows(),
    PreventPendingTransitions(),
    WaitForScheduledTime(),
    PreventRunningWithoutPending(),
    CrashedRunsRetry(),
    RetryFailedRuns(),
)

# Task runs are retried in-process by the engine, which asks these same rules before each attempt.
TASK_RUN_RULES: tuple[Rule, ...] = (
    PreventDuplicateTransition(),
    HandleTerminalStates(),
    HandleCancellation(),
    RetryFailedRuns(),
)


def evaluate(rules: tuple[Rule, ...], ctx: TransitionContext) -> Decision:
    """The decision on a proposed transition: the first rule that objects, else ACCEPT."""
    if ctx.force:
        return Decision(ACCEPT, ctx.proposed, "forced")
    initial = ctx.initial
    for rule, ask in _applicable(rules, initial.type if initial is not None else None, ctx.proposed.type):
        if not ask or rule.applies(ctx):
            decision = rule.decide(ctx)
            if decision is not None:
                return decision
    return Decision(ACCEPT, ctx.proposed, "")


_Applicable = tuple[tuple[Rule, bool], ...]
_APPLICABLE: dict[tuple[int, StateType | None, StateType], tuple[tuple[Rule, ...], _Applicable]] = {}


def _applicable(rules: tuple[Rule, ...], initial: StateType | None, proposed: StateType) -> _Applicable:
    """(rule, ask) for the rules of `rules` that apply to initial → proposed, in order, judged once
    per pair of types by their FROM/TO sets; a rule with its own `applies` is kept and asked."""
    key = (id(rules), initial, proposed)
    hit = _APPLICABLE.get(key)
    if hit is None or hit[0] is not rules:
        kept = tuple(
            (r, type(r).applies is not Rule.applies)
            for r in rules
            if type(r).applies is not Rule.applies or (initial in r.FROM_STATES and proposed in r.TO_STATES)
        )
        hit = _APPLICABLE[key] = (rules, kept)
    return hit[1]


@dataclass
class RunTimes:
    """The bookkeeping fields a transition updates on a run."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    total_run_time: float = 0.0
    run_count: int = 0


def bookkeep(times: RunTimes, initial: State | None, new: State) -> RunTimes:
    """Update start/end times, run count and run time for an accepted transition (in place)."""
    if new.type is S.RUNNING:
        if times.start_time is None:
            times.start_time = new.timestamp
        times.end_time = None
        if initial is None or initial.type is not S.RUNNING:
            times.run_count += 1
    if initial is not None and initial.type is S.RUNNING and new.type is not S.RUNNING:
        times.total_run_time += max(0.0, (new.timestamp - initial.timestamp).total_seconds())
    if new.type in TERMINAL_STATES and (times.start_time is not None or new.type is not S.CRASHED):
        times.end_time = new.timestamp  # a crash before RUNNING leaves none: the run never ran
    return times
