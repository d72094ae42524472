"""Which scheduled runs a worker's claim takes: the plan, apart from the SQL that carries it out.

`store.workers.get_scheduled_flow_runs` reads the pool, its queues, the candidates and the active
counts, then asks this module what to claim; nothing here touches the database, so the queue,
concurrency and claim-ahead decisions are plain functions over plain values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

#: the queue of a run that names none (every pool has it: `store.work_pools`)
DEFAULT_QUEUE = "default"
#: the limit of a claim that names none
DEFAULT_CLAIM_LIMIT = 10
#: candidates read per run wanted (plus a few), so runs a queue or deployment limit holds back
#: leave room for others
OVERFETCH = 4
OVERFETCH_EXTRA = 10


class QueueLike(Protocol):
    name: str
    priority: int
    is_paused: bool
    concurrency_limit: int | None


@dataclass(frozen=True)
class Candidate:
    """A SCHEDULED run that a claim may take."""

    id: str
    queue: str
    deployment_id: str | None
    scheduled_time: datetime | None

    @classmethod
    def of(cls, run: Any) -> Candidate:
        """From a flow-run row (or anything with its attribute names)."""
        return cls(
            run.id, run.work_queue_name or DEFAULT_QUEUE, run.deployment_id, run.next_scheduled_start_time
        )


@dataclass(frozen=True)
class Pick:
    """A run to propose PENDING for; `start_at` set when it is claimed ahead of its time."""

    run_id: str
    queue: str
    deployment_id: str | None
    start_at: datetime | None


def open_queues(queues: Iterable[QueueLike], names: Sequence[str] | None) -> list[QueueLike]:
    """The queues a claim draws from: not paused, and among `names` when the worker names some."""
    wanted = set(names or ())
    return [q for q in queues if not q.is_paused and (not wanted or q.name in wanted)]


def claim_limit(requested: int | None, pool_limit: int | None, pool_active: int) -> int:
    """How many runs a claim may take: what was asked, within the pool's free slots."""
    limit = DEFAULT_CLAIM_LIMIT if requested is None else max(0, int(requested))
    if pool_limit is not None:
        limit = min(limit, max(0, pool_limit - pool_active))
    return limit


def fetch_size(limit: int) -> int:
    return limit * OVERFETCH + OVERFETCH_EXTRA


def by_priority(runs: list[Any], priority: dict[str, int]) -> list[Any]:
    """Queue priority first (lower first; an unknown queue counts as 1), then scheduled time."""
    return sorted(
        runs, key=lambda r: (priority.get(r.work_queue_name or DEFAULT_QUEUE, 1), r.next_scheduled_start_time)
    )


class ClaimPlan:
    """The picking rule of one claim: within `limit`, the queues' and deployments' limits.

    `active` counts runs in PENDING/RUNNING/CANCELLING by ("queue", name) and ("deployment", id);
    picks count against it until `refused` gives their slot back.
    """

    def __init__(
        self,
        limit: int,
        queue_limits: dict[str, int],
        deployment_limits: dict[str, int],
        active: Counter,
        now: datetime,
    ) -> None:
        self.limit = limit
        self.queue_limits = queue_limits
        self.deployment_limits = deployment_limits
        self.active = active
        self.now = now

    def pick(self, candidates: Sequence[Candidate], claimed: int) -> tuple[list[Pick], list[Candidate]]:
        """The next picks, given `claimed` runs already won; and the candidates left for a later
        round (those not reached because the limit was full; ones over a limit are dropped)."""
        picked: list[Pick] = []
        rest: list[Candidate] = []
        for run in candidates:
            if claimed + len(picked) >= self.limit:
                rest.append(run)
            elif self._has_room(run):
                picked.append(Pick(run.id, run.queue, run.deployment_id, self._start_at(run)))
                self.active["queue", run.queue] += 1
                self.active["deployment", run.deployment_id] += 1
        return picked, rest

    def refused(self, pick: Pick) -> None:
        """The rules refused a pick (another claimant won it): its slots are free again."""
        self.active["queue", pick.queue] -= 1
        self.active["deployment", pick.deployment_id] -= 1

    def _has_room(self, run: Candidate) -> bool:
        queue_limit = self.queue_limits.get(run.queue)
        if queue_limit is not None and self.active["queue", run.queue] >= queue_limit:
            return False
        dep_limit = self.deployment_limits.get(run.deployment_id) if run.deployment_id else None
        return dep_limit is None or self.active["deployment", run.deployment_id] < dep_limit

    def _start_at(self, run: Candidate) -> datetime | None:
        """A run due later is claimed ahead: its PENDING carries the time it is to start at."""
        when = run.scheduled_time
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when if when is not None and when > self.now else None


def queue_limits(queues: Iterable[QueueLike]) -> dict[str, int]:
    return {q.name: q.concurrency_limit for q in queues if q.concurrency_limit is not None}
