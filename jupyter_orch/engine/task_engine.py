"""The engine that runs one task run: its states, retries, caching, timeout and records.

A task run's state lives in memory (the engine is its only writer); each transition is judged by
`rules.TASK_RUN_RULES` in-process and then handed to the client's batch writer as a snapshot of
the run row plus one state row. No database call happens on this path, which is what keeps the
per-task overhead in microseconds.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.cache_commit import commit_cache_key, hold_cache_key, parent_run
from jupyter_orch.engine.caching import check_cache
from jupyter_orch.engine.context import FlowRunContext, TaskRunContext, parent_task_input, tags_ctx
from jupyter_orch.engine.exceptions import UpstreamFailed
from jupyter_orch.engine.futures import has_futures, resolve, upstream_by_identity
from jupyter_orch.engine.hooks import call_hook, render_run_name, run_hooks, task_run_view
from jupyter_orch.engine.logging import run_logger
from jupyter_orch.engine.results import persist_failure, prepare_run_result, unwrap_record
from jupyter_orch.engine.started import Started, started_client
from jupyter_orch.engine.task_transactions import defers_writes, stage_result
from jupyter_orch.engine.timeouts import failure_state, is_cancellation
from jupyter_orch.orchestration import rules
from jupyter_orch.orchestration.serialize import state_data
from jupyter_orch.results import ResultRecord
from jupyter_orch.states import (
    TERMINAL_STATES,
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Pending,
    Retrying,
    Running,
    State,
    crash_message,
    new_time_uuid,
    utcnow,
)

_ACCEPTED = (rules.ACCEPT, rules.REJECT)
_NO_RETRIES = rules.RunPolicy(0)  # a failure retry_condition_fn declined to retry
_loose_counter = itertools.count()  # dynamic keys of task runs outside any flow run
#: what the retry rule answers a failure with while retries are left
_RETRY_STATES = frozenset({"AwaitingRetry", "Retrying"})


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
        "tags",
        "_prefect_client",
        "txn",
        "parent", "held", "key_held",  # fmt: skip - a nested run's cache entry (cache_commit)
    )

    def __init__(
        self,
        task: Any,  # a `tasks.Task`: that module stands above this one (a Task's calls make engines)
        flow_ctx: FlowRunContext | None = None,
        parameters: dict[str, Any] | None = None,
        wait_for: Iterable[Any] | None = None,
    ) -> None:
        self.task = task
        self.flow_ctx = flow_ctx
        self.parameters = parameters if parameters is not None else {}
        self.wait_for = wait_for if type(wait_for) is list else list(wait_for) if wait_for else None
        self.id = new_time_uuid()
        if flow_ctx is not None:
            self.dynamic_key = flow_ctx.next_dynamic_key((task.task_key, task.name))
            self.flow_run_id: str | None = flow_ctx.flow_run_id
            self.writer = flow_ctx.client.writer
        else:
            self.dynamic_key = next(_loose_counter)
            self.flow_run_id = None
            self.writer = get_client().writer
        self.name = f"{task.name}-{self.dynamic_key}"
        extra = tags_ctx.get()  # `with tags(...)` around the call
        self.tags: list[str] = task.tag_list if not extra else sorted(task.tags | extra)
        self.state: State | None = None
        self.times = rules.RunTimes()
        self.cache_key: str | None = None
        self.cache_expiration: datetime | None = None
        self.task_inputs: dict[str, Any] = {}
        self.created: datetime | None = None
        self._initial_state: State | None = None
        self._base: dict[str, Any] | None = None
        self.txn: Any = None  # the run's transaction, when it has one (see `task_transactions`)
        self.parent, self.held, self.key_held = parent_run(), None, False

    @property
    def initial_state(self) -> State:
        """What `.state` shows before the engine thread reached PENDING (made on first ask)."""
        if self._initial_state is None:
            self._initial_state = Pending(task_run_id=self.id)
        return self._initial_state

    # -- transitions ---------------------------------------------------------------------------
    def propose(self, proposed: State, policy: rules.RunPolicy | None = None) -> rules.Decision:
        """Judge `proposed` by the task-run rules; an accepted (or replacing) state is recorded."""
        ctx = rules.TransitionContext(
            "task",
            self.state,
            proposed,
            self.times.run_count,
            policy or self.task.policy,
            now=proposed.timestamp,
        )
        decision = rules.evaluate(rules.TASK_RUN_RULES, ctx)
        new = decision.state
        if decision.status in _ACCEPTED and new is not None and new is not self.state:
            new.task_run_id = self.id
            new.flow_run_id = self.flow_run_id
            rules.bookkeep(self.times, self.state, new)
            self.state = new
            self._record(new)
        return decision

    def _record(self, state: State, new_state: bool = True) -> None:
        data = state_data(state) if (state._data is not None or state.scheduled_time is not None) else None
        base = self._base
        if base is None:  # the columns that never change, made once per run (again after an end)
            self.created = self.created or state.timestamp
            task = self.task
            base = self._base = {
                "id": self.id,
                "name": self.name,
                "task_key": task.task_key,
                "task_version": task.version,
                "dynamic_key": str(self.dynamic_key),
                "flow_run_id": self.flow_run_id,
                "empirical_policy": task.policy_dict,
                "tags": self.tags,
                "created": self.created,
            }
        times = self.times
        type_value = state.type._value_
        ts = state.timestamp
        self.writer.add_task_run(
            {
                **base,
                "cache_key": None if self.key_held else self.cache_key,
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
            } if new_state else None,  # only the snapshot: a held cache key published (task_transactions)
        )
        if state.type in TERMINAL_STATES:  # let go of the columns: a mapped run may be one of 100,000
            self._base = None

    # -- phases shared by the sync and async drivers --------------------------------------------
    def begin(self) -> State | None:
        """PENDING, inputs resolved, named, cache consulted; a final state if the body must not run."""
        self.propose(Pending())
        task = self.task
        try:
            self._resolve_inputs()
            if task.task_run_name is not None:
                self._rename()
        except UpstreamFailed as exc:  # the body never runs: Pending, named NotReady (Prefect's)
            self.propose(Pending(name="NotReady", message=str(exc)))
            return self.state
        except Exception as exc:  # a name template or callable that fails: the run fails with it
            return self._fail_final(Failed(message=f"Task run encountered an exception {exc!r}"), exc)
        return self.cached() if task.caching and self._persist() else None

    def cached(self) -> State | None:
        """The Cached final state this run's cache key gives (its completion hooks run), or None."""
        hit = check_cache(self)
        if hit is not None and self.task.on_completion_hooks:
            self._run_hooks(self.task.on_completion_hooks, hit)
        return hit

    def _rename(self) -> None:
        """`task_run_name` rendered over the resolved parameters (the next snapshot carries it), in
        the run's context: a callable reads `runtime.task_run.parameters`, as Prefect's docs show."""
        with self.task_context():
            self.name = render_run_name("task_run_name", self.task.task_run_name, self.parameters)
        if self._base is not None:
            self._base = {**self._base, "name": self.name}

    def _resolve_inputs(self) -> None:
        params = self.parameters
        # runs without upstreams share their task's `{name: []}` (never written to): one JSON a batch
        inputs = getattr(self.task, "no_inputs", None) or {name: [] for name in params}
        extra = parent_task_input(self.flow_run_id)  # a new dict: what this run adds or replaces
        edges: list[tuple[str, str]] = []
        try:
            if self.wait_for:
                self._resolve_wait_for(extra, edges)
            known = self.flow_ctx.results if self.flow_ctx is not None else None
            for key, value in params.items():
                ids: list[str] = []
                if has_futures(value):
                    params[key] = resolve(value, ids)
                elif known:
                    upstream_by_identity(value, known, ids)
                if ids:
                    edges.extend((up, "data") for up in ids)
                    extra[key] = [{"input_type": "task_run", "id": up} for up in ids]
        finally:  # an upstream failure ends the run with the inputs resolved so far
            self.task_inputs = {**inputs, **extra} if extra else inputs
        if edges and self.flow_run_id is not None:
            self._record_edges(edges)

    def _resolve_wait_for(self, extra: dict[str, Any], edges: list[tuple[str, str]]) -> None:
        ids: list[str] = []
        for item in self.wait_for or ():
            if getattr(item, "_task_run_id", None) == self.id:  # the caller's list (kept, as Prefect's) grew
                raise ValueError(f"Discovered a task depending on itself. Raising to avoid a deadlock. "
                                 f"Please inspect the inputs and dependencies of {self.name}.")  # fmt: skip
            resolve(item, ids)
        edges.extend((up, "wait_for") for up in ids)
        extra["wait_for"] = [{"input_type": "task_run", "id": up} for up in ids]

    def _record_edges(self, edges: list[tuple[str, str]]) -> None:
        """The graph's edges into this run: (upstream run id, "data" or "wait_for")."""
        for up, kind in edges:
            self.writer.add(
                "edges",
                {"flow_run_id": self.flow_run_id, "upstream_id": up, "downstream_id": self.id, "kind": kind},
            )

    def task_context(self) -> TaskRunContext:
        return TaskRunContext(
            self.task, self.id, self.name, self.flow_run_id, self.parameters, bool(self._log_prints()), self
        )

    def orch_client(self) -> Any:
        return self.flow_ctx.client if self.flow_ctx else get_client()

    #: Prefect's: the client of a run begun with `initialize_run()` (RuntimeError before)
    client = property(started_client)

    def initialize_run(self) -> Started:
        """Prefect's: `with engine.initialize_run():` (or `async with`) gives `client`."""
        return Started(self)

    def _log_prints(self) -> bool:
        prints = self.task.log_prints
        return prints if prints is not None else bool(self.flow_ctx and self.flow_ctx.log_prints)

    def begin_run(self) -> None:  # Prefect's name: RUNNING (or Retrying) before each attempt
        state = self.state
        if state is not None and state.name == "Retrying":  # the retry rule entered it already
            self.times.run_count += 1
        else:
            self.propose(Running() if self.times.run_count == 0 else Retrying())
        if self.task.on_running_hooks:  # before the body, on every attempt (as Prefect's)
            self._run_hooks(self.task.on_running_hooks, self.state)

    def _persist(self) -> bool:
        persist = self.task.persist_result
        return persist if persist is not None else bool(self.flow_ctx and self.flow_ctx.persist_result)

    def succeed(self, value: Any) -> State:
        task = self.task
        if isinstance(value, State):  # a state the body returned is the run's end (Prefect's rule)
            self.propose(value)
            hooks = task.on_completion_hooks if value.is_completed() else task.on_failure_hooks
            if hooks:
                self._run_hooks(hooks, self.state)
            return self.state  # type: ignore[return-value]
        value, data = unwrap_record(value) if type(value) is ResultRecord else (value, None)
        write = None
        if data is None and self._persist():
            data, write = self._persisted(value)
        if task.cache_expiration is not None and self.cache_key:
            self.cache_expiration = utcnow() + task.cache_expiration
        state = Completed(data=data)
        if data is None or task.cache_result_in_memory:
            state.set_result(value)
        if self.flow_ctx is not None:
            self.flow_ctx.link_result(value, self.id)
        holder = hold_cache_key(self)
        self.propose(state)
        if self.txn is not None:
            stage_result(self, value, write)
        commit_cache_key(self, holder)
        if task.on_completion_hooks:
            self._run_hooks(task.on_completion_hooks, self.state)
        return self.state  # type: ignore[return-value]

    def _persisted(self, value: Any) -> tuple[Any, Any]:
        """The result's reference, written now; or, inside an open transaction, with the call
        that writes it when that transaction commits."""
        data, write = prepare_run_result(self, value)
        if write is not None and not defers_writes(self.txn):
            write()
            write = None
        return data, write

    def _run_hooks(self, hooks: list[Any], state: Any) -> None:
        # task hooks say they ran at DEBUG (a task's cost stays in microseconds); failures at ERROR
        run_hooks(hooks, self.task, task_run_view(self), state, self.logger(), logging.DEBUG)

    def fail(self, exc: Exception) -> float | None:
        """Propose the failure; seconds to wait before the next attempt, or None if final."""
        proposed = failure_state(exc, f"Task run encountered an exception {type(exc).__name__}: {exc}")
        task = self.task
        if self._persist():  # the exception is the result another process reads back (Prefect's)
            proposed.data = persist_failure(exc, task.result_storage, task.serializer)
        policy = None
        retryable = task.retry_condition_fn is not None and self.times.run_count <= task.retries
        if retryable and not self._should_retry(proposed):
            policy = _NO_RETRIES
        decision = self.propose(proposed, policy)
        logger = self.logger()
        retry = decision.state
        if decision.status == rules.REJECT and retry is self.state and retry.name in _RETRY_STATES:
            when = retry.scheduled_time
            delay = max(0.0, (when - utcnow()).total_seconds()) if when else 0.0
            logger.info(
                "Task run failed with exception %r - Retry %d/%d will start %.3g second(s) from now",
                exc,
                self.times.run_count,
                task.retries,
                delay,
            )
            return delay
        if policy is _NO_RETRIES:
            logger.error("Task run failed with exception: %r - retry_condition_fn said not to retry", exc)
        else:
            logger.error("Task run failed with exception: %r - Retries are exhausted", exc, exc_info=exc)
        if task.on_failure_hooks:
            self._run_hooks(task.on_failure_hooks, self.state)
        return None

    def _should_retry(self, proposed: State) -> bool:
        """`retry_condition_fn(task, task_run, state)`; one that raises means no retry."""
        try:
            return bool(call_hook(self.task.retry_condition_fn, self.task, task_run_view(self), proposed))
        except Exception as exc:
            self.logger().error("retry_condition_fn raised %r: not retrying", exc, exc_info=exc)
            return False

    def crash(self, exc: BaseException) -> None:
        """A BaseException (KeyboardInterrupt, SystemExit, cancellation) ends the run; re-raised."""
        if is_cancellation(exc):
            state = Cancelled(message="Task run was cancelled")
        else:
            state = Crashed(message=crash_message(exc))
        state.set_result(exc)
        self.propose(state)

    def _fail_final(self, state: State, exc: BaseException) -> State:
        state.set_result(exc)
        self.propose(state)
        self.logger().error("%s", state.message)
        return self.state  # type: ignore[return-value]

    def logger(self) -> Any:
        return run_logger(self.flow_run_id, self.id, f"Task run {self.name!r}", "task_runs")



__all__ = ["TaskRunEngine"]
