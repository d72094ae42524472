"""The engine that runs one task run: its states, retries, caching, timeout and records.

A task run's state lives in memory (the engine is its only writer); each transition is judged by
`rules.TASK_RUN_RULES` in-process and then handed to the client's batch writer as a snapshot of
the run row plus one state row. No database call happens on this path, which is what keeps the
per-task overhead in microseconds.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jupyter_orch.engine.context import FlowRunContext, TaskRunContext, task_run_ctx
from jupyter_orch.engine.exceptions import UpstreamFailed
from jupyter_orch.engine.futures import has_futures, resolve, upstream_by_identity
from jupyter_orch.engine.task_drivers import run_task_async, run_task_sync
from jupyter_orch.engine.timeouts import (
    TaskRunTimeout,
    is_cancellation,
)
from jupyter_orch.orchestration import rules
from jupyter_orch.orchestration.serialize import state_data
from jupyter_orch.states import (
    Cached,
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Pending,
    Retrying,
    Running,
    State,
    TimedOut,
    new_uuid,
    utcnow,
)

if TYPE_CHECKING:
    from jupyter_orch.engine.tasks import Task

_ACCEPTED = (rules.ACCEPT, rules.REJECT)
_loose_counter = itertools.count()  # dynamic keys of task runs outside any flow run


class TaskRunEngine:
    """Runs one task run: its states, retries, caching, timeout, and what the writer records."""

    __slots__ = (
        "task",
        "flow_ctx",
        "parameters",
        "wait_for",
        "id",
        "name",
        "flow_run_id",
        "dynamic_key",
        "state",
        "times",
        "writer",
        "cache_key",
        "cache_expiration",
        "task_inputs",
        "created",
        "_initial_state",
        "_base",
    )

    def __init__(
        self,
        task: Task,
        flow_ctx: FlowRunContext | None,
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None,
    ) -> None:
        self.task = task
        self.flow_ctx = flow_ctx
        self.parameters = parameters
        self.wait_for = list(wait_for) if wait_for else None
        self.id = new_uuid()
        if flow_ctx is not None:
            self.dynamic_key = flow_ctx.next_dynamic_key((task.task_key, task.name))
            self.flow_run_id: str | None = flow_ctx.flow_run_id
            self.writer = flow_ctx.client.writer
        else:
            from jupyter_orch.client import get_client

            self.dynamic_key = next(_loose_counter)
            self.flow_run_id = None
            self.writer = get_client().writer
        self.name = f"{task.name}-{self.dynamic_key}"
        self.state: State | None = None
        self.times = rules.RunTimes()
        self.cache_key: str | None = None
        self.cache_expiration: datetime | None = None
        self.task_inputs: dict[str, Any] = {}
        self.created: datetime | None = None
        self._initial_state: State | None = None
        self._base: dict[str, Any] | None = None

    @property
    def initial_state(self) -> State:
        """What `.state` shows before the engine thread reached PENDING (made on first ask)."""
        if self._initial_state is None:
            self._initial_state = Pending(task_run_id=self.id)
        return self._initial_state

    # -- transitions ---------------------------------------------------------------------------
    def propose(self, proposed: State) -> rules.Decision:
        """Judge `proposed` by the task-run rules; an accepted (or replacing) state is recorded."""
        ctx = rules.TransitionContext(
            "task", self.state, proposed, self.times.run_count, self.task.policy, now=proposed.timestamp
        )
        decision = rules.evaluate(rules.TASK_RUN_RULES, ctx)
        new = decision.state
        if decision.status in _ACCEPTED and new is not None and new is not self.state:
            new.task_run_id = self.id
            rules.bookkeep(self.times, self.state, new)
            self.state = new
            self._record(new)
        return decision

    def _record(self, state: State) -> None:
        data = state_data(state) if (state.data is not None or state.scheduled_time is not None) else None
        base = self._base
        if base is None:  # the columns that never change, made once per run
            self.created = state.timestamp
            task = self.task
            base = self._base = {
                "id": self.id,
                "name": self.name,
                "task_key": task.task_key,
                "dynamic_key": str(self.dynamic_key),
                "flow_run_id": self.flow_run_id,
                "empirical_policy": task.policy_dict,
                "tags": task.tag_list,
                "created": self.created,
            }
        times = self.times
        type_value = state.type._value_
        ts = state.timestamp
        self.writer.add_task_run(
            {
                **base,
                "cache_key": self.cache_key,
                "cache_expiration": self.cache_expiration,
                "task_inputs": self.task_inputs,
                "state_id": state.id,
                "state_type": type_value,
                "state_name": state.name,
                "state_message": state.message,
                "state_timestamp": ts,
                "state_data": data,
                "start_time": times.start_time,
                "end_time": times.end_time,
                "total_run_time": times.total_run_time,
                "run_count": times.run_count,
                "updated": ts,
            },
            {
                "id": state.id,
                "task_run_id": self.id,
                "type": type_value,
                "name": state.name,
                "message": state.message,
                "timestamp": ts,
                "data": data,
            },
        )

    # -- phases shared by the sync and async drivers --------------------------------------------
    def begin(self) -> State | None:
        """PENDING, inputs resolved, cache consulted; a final state if the body must not run."""
        self.propose(Pending())
        try:
            self._resolve_inputs()
        except UpstreamFailed as exc:
            return self._fail_final(Failed(message=str(exc)), exc)
        if self.task.caching:
            return self._check_cache()
        return None

    def _resolve_inputs(self) -> None:
        params = self.parameters
        edges: list[tuple[str, str]] = []
        if self.wait_for:
            ids: list[str] = []
            for item in self.wait_for:
                resolve(item, ids)
            edges.extend((up, "wait_for") for up in ids)
            self.task_inputs["wait_for"] = [{"input_type": "task_run", "id": up} for up in ids]
        known = self.flow_ctx.results if self.flow_ctx is not None else None
        for key, value in params.items():
            ids = []
            if has_futures(value):
                params[key] = resolve(value, ids)
            elif known:
                upstream_by_identity(value, known, ids)
            if ids:
                edges.extend((up, "data") for up in ids)
                self.task_inputs[key] = [{"input_type": "task_run", "id": up} for up in ids]
        if edges and self.flow_run_id is not None:
            for up, kind in edges:
                self.writer.add(
                    "edges",
                    {
                        "flow_run_id": self.flow_run_id,
                        "upstream_id": up,
                        "downstream_id": self.id,
                        "kind": kind,
                    },
                )

    def _task_context(self) -> TaskRunContext:
        return TaskRunContext(
            self.task, self.id, self.name, self.flow_run_id, self.parameters, bool(self._log_prints())
        )

    def _log_prints(self) -> bool:
        if self.task.log_prints is not None:
            return self.task.log_prints
        return bool(self.flow_ctx and self.flow_ctx.log_prints)

    def _check_cache(self) -> State | None:
        task = self.task
        if task.cache_key_fn is not None:
            key = task.cache_key_fn(self._task_context(), self.parameters)
        else:
            from jupyter_orch.engine.caching import task_input_hash

            key = task_input_hash(self._task_context(), self.parameters)
        if not key:
            return None
        self.cache_key = str(key)[:255]
        client = self.flow_ctx.client if self.flow_ctx else _client()
        hit = client.lookup_cached(self.cache_key)
        if hit is None:
            return None
        cached = State.from_dict(hit["state"])
        exp = hit.get("cache_expiration")
        self.cache_expiration = datetime.fromisoformat(exp) if isinstance(exp, str) else exp
        self.propose(Cached(data=cached.data, message=f"Cached result of task run {hit['id']}"))
        return self.state

    def start_attempt(self) -> None:
        first = self.times.run_count == 0
        self.propose(Running() if first else Retrying())

    def _persist(self) -> bool:
        task = self.task
        if task.persist_result is not None:
            return task.persist_result
        if task.caching:
            return True
        return bool(self.flow_ctx and self.flow_ctx.persist_result)

    def succeed(self, value: Any) -> State:
        data = None
        if self._persist():
            from jupyter_orch.engine.results import persist_result

            data = persist_result(value, self.cache_key)
        if self.task.cache_expiration is not None and self.cache_key:
            self.cache_expiration = utcnow() + self.task.cache_expiration
        state = Completed(data=data)
        state.set_result(value)
        if self.flow_ctx is not None:
            self.flow_ctx.link_result(value, self.id)
        self.propose(state)
        return self.state  # type: ignore[return-value]

    def fail(self, exc: Exception) -> float | None:
        """Propose the failure; seconds to wait before the next attempt, or None if final."""
        if isinstance(exc, TaskRunTimeout):
            proposed = TimedOut(message=str(exc))
        else:
            proposed = Failed(message=f"Task run encountered an exception {type(exc).__name__}: {exc}")
        proposed.set_result(exc)
        decision = self.propose(proposed)
        logger = self._logger()
        if decision.status == rules.REJECT and self.state is not None and self.state.is_scheduled():
            when = self.state.scheduled_time
            delay = max(0.0, (when - utcnow()).total_seconds()) if when else 0.0
            logger.info(
                "Task run failed with exception %r - Retry %d/%d will start %.3g second(s) from now",
                exc,
                self.times.run_count,
                self.task.retries,
                delay,
            )
            return delay
        logger.error("Task run failed with exception: %r - Retries are exhausted", exc, exc_info=exc)
        return None

    def crash(self, exc: BaseException) -> None:
        """A BaseException (KeyboardInterrupt, SystemExit, cancellation) ends the run; re-raised."""
        if is_cancellation(exc):
            state = Cancelled(message="Task run was cancelled")
        else:
            state = Crashed(message=f"Task run crashed: {type(exc).__name__}: {exc}")
        state.set_result(exc)
        self.propose(state)

    def _fail_final(self, state: State, exc: BaseException) -> State:
        state.set_result(exc)
        self.propose(state)
        self._logger().error("%s", state.message)
        return self.state  # type: ignore[return-value]

    def _logger(self) -> Any:
        from jupyter_orch.engine.logging import run_logger

        return run_logger(self.flow_run_id, self.id, f"Task run {self.name!r}", "task_runs")

    def _enter(self) -> tuple[Any, Any]:
        token = task_run_ctx.set(self._task_context())
        prints = None
        if self._log_prints():
            from jupyter_orch.engine.logging import install_print_hook, print_recorder, print_target

            install_print_hook()
            prints = print_target.set(print_recorder(self.flow_run_id, self.id))
        elif self.task.log_prints is False:
            from jupyter_orch.engine.logging import print_target

            prints = print_target.set(None)
        return token, prints

    def _exit(self, tokens: tuple[Any, Any]) -> None:
        token, prints = tokens
        if prints is not None:
            from jupyter_orch.engine.logging import print_target

            print_target.reset(prints)
        task_run_ctx.reset(token)

    def _concurrency(self) -> list[str]:
        ctx = self.flow_ctx
        if ctx is None or not ctx.limited_tags or not self.task.tags:
            return []
        limited = sorted(self.task.tags & ctx.limited_tags)
        if limited:
            while not ctx.client.increment_concurrency_slots(limited, self.id):
                time.sleep(0.1)
        return limited

    def _release(self, held: list[str]) -> None:
        if held and self.flow_ctx is not None:
            self.flow_ctx.client.decrement_concurrency_slots(self.id)

    # -- drivers (task_drivers.py): run to a final state in this thread, or on the event loop ----
    run_sync = run_task_sync
    run_async = run_task_async


def _client() -> Any:
    from jupyter_orch.client import get_client

    return get_client()


__all__ = ["TaskRunEngine"]
