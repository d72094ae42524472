"""The engine that runs one flow run (a top-level run or a subflow) through its states.

Unlike task-run states, every flow-run state change is a synchronous call to the orchestrator (the
client), as the rules may refuse it: REJECT (AwaitingRetry for Failed), WAIT or ABORT (not ours).
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.context import FlowRunContext, flow_run_ctx, tags_ctx
from jupyter_orch.engine.exceptions import FlowRunAborted, ParameterValidationError, Pause, UpstreamFailed
from jupyter_orch.engine.flow_hooks import run_final_hooks, run_flow_hooks
from jupyter_orch.engine.futures import has_futures, resolve_futures_to_states, resolve_parameters
from jupyter_orch.engine.hooks import render_run_name
from jupyter_orch.engine.logging import install_print_hook, print_recorder, print_target, run_logger
from jupyter_orch.engine.results import persist_result
from jupyter_orch.engine.started import PrefectEngineMethods
from jupyter_orch.engine.subflow_runs import make_stand_in
from jupyter_orch.engine.tasks import NOT_BOUND
from jupyter_orch.engine.timeouts import failure_state, is_cancellation
from jupyter_orch.exceptions import ParameterBindError, TerminationSignal
from jupyter_orch.orchestration import rules
from jupyter_orch.parameters import jsonable
from jupyter_orch.states import (
    Cancelled,
    Crashed,
    Failed,
    Pending,
    Retrying,
    Running,
    State,
    crash_message,
    final_state_of,
    utcnow,
)

FLOW_RUN_ID_ENV = "JUPYTER_ORCH_FLOW_RUN_ID"
#: set by a worker that started the adopted run itself (`engine.run_process`): its RUNNING state's id
STARTED_STATE_ENV = "JUPYTER_ORCH_FLOW_RUN_STARTED_STATE"
#: set by a worker's run process: the run to adopt is that worker's claim (PENDING), not a run to
#: claim itself (as a process started by hand on a SCHEDULED run does, waiting for its time)
CLAIMED_ENV = "JUPYTER_ORCH_FLOW_RUN_CLAIMED"
MAX_WAITS = 1000
_adopted: set[str] = set()  # runs adopted from the environment (each only once per process)


class FlowRunEngine(PrefectEngineMethods):
    """Runs one flow run (a top-level run or a subflow) through its states."""

    def __init__(
        self,
        flow: Any,  # a `flows.Flow`: that module stands above this one (a Flow's calls make engines)
        args: tuple = (),
        kwargs: dict[str, Any] | None = None,
        adopt_id: str | None = None,
        flow_run: Any = None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        self.flow = flow
        self.args = args
        if parameters is None and flow_run is not None:
            parameters = dict(flow_run.parameters or {})
        self.kwargs = (kwargs or {}) if parameters is None else {**(kwargs or {}), **parameters}
        # an existing run record to run (Prefect's `flow_run=`)
        self.adopt_id = adopt_id if flow_run is None else str(flow_run.id)
        self.wait_for: Any = None  # runs to wait for before this one starts (a call's `wait_for=`)
        self.parent = flow_run_ctx.get()
        self.orch = self.parent.client if self.parent else get_client()  # `client`: Prefect's, once started
        self.run_id: str | None = None
        self.run_name = ""
        self.record: dict[str, Any] = {}  # the run's record as created or adopted
        self.state: State | None = None
        self.parent_task: Any = None  # the task run that stands for this subflow in its parent
        self.reattached: Any = None  # the engine of this subflow call's run in an earlier attempt
        self.subflows: dict[tuple[str, Any], tuple[Any, Any]] = {}  # its subflow calls, by keys
        self.task_inputs: dict[str, list[dict[str, str]]] = {}  # upstream runs by parameter
        self.ctx: FlowRunContext | None = None
        self.params: dict[str, Any] = {}
        self.logger: Any = None
        self.run_count = 0
        self.deployment_id: str | None = None
        self.tags: tuple[str, ...] = ()

    # -- talking to the orchestrator -----------------------------------------------------------
    def propose(self, state: State, force: bool = False) -> rules.Decision:
        """Propose a state, sleeping and asking again while told to WAIT (`force`: set it)."""
        for _ in range(MAX_WAITS):
            answer = self.orch.set_flow_run_state(self.run_id, state, force=force)  # type: ignore[arg-type]
            status = answer["status"]
            new = State.from_dict(answer["state"]) if answer.get("state") else None
            if status == rules.WAIT:
                time.sleep(min(max(float(answer.get("delay_seconds") or 0.05), 0.01), 60))
                state = state.copy()
                continue
            if status in (rules.ACCEPT, rules.REJECT) and new is not None:
                if new.id == state.id:
                    new = state  # keep the in-memory result
                new.flow_run_id = self.run_id
                self.state = new
            return rules.Decision(status, new, answer.get("reason", ""), answer.get("delay_seconds"))
        raise FlowRunAborted(f"flow run {self.run_id}: still told to wait after {MAX_WAITS} attempts")

    def _start(self, retrying: bool = False) -> None:
        """PENDING (unless it already is) then RUNNING; ABORT stops here."""
        if self.state is None or not self.state.is_pending():
            decision = self.propose(Pending())
            if decision.status == rules.ABORT:
                raise FlowRunAborted(f"flow run {self.run_name!r} could not start: {decision.reason}")
        decision = self.propose(Retrying() if retrying else Running())
        if decision.status != rules.ACCEPT:
            raise FlowRunAborted(f"flow run {self.run_name!r} could not start: {decision.reason}")
        self._running()

    def _running(self) -> None:
        self.run_count += 1
        if self.flow.hooks["on_running"]:
            self._run_hooks("on_running")

    # -- phases --------------------------------------------------------------------------------
    def begin(self) -> Exception | None:
        """Create (or adopt) the run and validate the parameters; the validation error, if any."""
        params, error = self._bind()
        name = None
        if self.flow.flow_run_name is not None and error is None:
            name, error = self._render_name(params)
        if self.parent is not None:
            self.parent_task, self.reattached = make_stand_in(self)
            if self.reattached is not None:  # completed in an earlier attempt of the parent
                self._record(self.reattached.record)
                self.state = self.reattached.state
                return None
        adopt = self.adopt_id or (os.environ.get(FLOW_RUN_ID_ENV) if self.parent is None else None)
        started_by_worker = None
        if adopt and adopt not in _adopted:
            run, started_by_worker = self._adopt(adopt, name)
        else:
            run = self._create(name, params)
        self._record(run)
        if error is not None:
            return self._refuse(error)
        self.logger.info("Beginning flow run %r for flow %r", self.run_name, self.flow.name)
        try:
            self.begin_run(started_by_worker)
        except (KeyboardInterrupt, SystemExit, TerminationSignal) as exc:
            self.crash(exc)  # interrupted before its body: the record ends Crashed, not Pending
            raise
        return None

    @property
    def parameters(self) -> dict[str, Any]:
        """The run's parameters once bound (Prefect's name)."""
        return self.params

    def begin_run(self, started_by_worker: str | None = None) -> None:
        """RUNNING (unless its worker already set it: that state's id), the stand-in too."""
        if not (started_by_worker and self.state is not None and self.state.id == started_by_worker):
            self._start()
        else:
            self._running()
        if self.parent_task is not None:
            self.parent_task.propose(Running())

    def _bind(self) -> tuple[dict[str, Any], Exception | None]:
        """The call's parameters (validated if the flow asks) and the validation error, if any
        (then the keyword arguments as given, for the record)."""
        flow = self.flow
        try:
            params = flow.parameters.bind(self.args, self.kwargs)
            self.task_inputs = resolve_parameters(params, self.parent and self.parent.results, self.wait_for)
            if flow.validate_parameters:
                params = flow.parameters.validate(params)
        except (ParameterBindError, UpstreamFailed) as exc:  # arguments the signature cannot take
            return dict(self.kwargs), exc
        except ParameterValidationError as exc:  # values of the wrong type: Prefect's wording
            message = f"Flow run received invalid parameters:\n - {exc.message}"
            return dict(self.kwargs), ParameterValidationError(message, exc.field or None)
        self.params = params
        return params, None

    def _render_name(self, params: dict[str, Any]) -> tuple[str | None, Exception | None]:
        """The run's name from the flow's template; the template's error, if any (the run is
        then recorded, Failed with it). It renders in a context of this flow and its parameters
        (no run yet), so a callable can read `runtime.flow_run` as Prefect's docs show."""
        ctx = FlowRunContext(  # type: ignore[arg-type]  # no run id yet: it is created after its name
            self.flow, None, "", self.orch, self.flow.task_runner, parameters=params, engine=self
        )
        try:
            with ctx:
                return render_run_name("flow_run_name", self.flow.flow_run_name, params), None
        except Exception as exc:
            return None, exc

    def _adopt(self, run_id: str, name: str | None) -> tuple[dict[str, Any], str | None]:
        """The run a worker (or a user) started this process for, and the id of the RUNNING state
        its worker already set, if it did (continue from there)."""
        _adopted.add(run_id)
        run = self.orch.read_flow_run(run_id)
        if name is not None:
            self.orch.update_flow_run(run_id, name=name)
            run["name"] = name
        started_by_worker = os.environ.pop(STARTED_STATE_ENV, None)
        claimed = os.environ.pop(CLAIMED_ENV, None)
        state = run.get("state") or {}
        if claimed and state.get("type") != "PENDING" and state.get("id") != started_by_worker:
            # no longer its worker's claim (handed back by a pause, cancelled): never re-claim it
            raise FlowRunAborted(f"flow run {run['name']!r} is {state.get('name')}: not started")
        return run, started_by_worker

    def _create(self, name: str | None, params: dict[str, Any]) -> dict[str, Any]:
        """A new run record, PENDING (a subflow's linked to its parent and stand-in)."""
        flow = self.flow
        return self.orch.create_flow_run(
            flow_name=flow.name,
            flow_version=flow.version,
            name=name,
            tags=sorted(tags_ctx.get()) or None,
            parameters=jsonable(self._recorded(params)),
            state=Pending(),
            empirical_policy=flow.policy.to_dict(),
            parameter_schema=flow.parameter_schema,
            parent_task_run_id=self.parent_task.id if self.parent_task else None,
            parent_flow_run_id=self.parent.flow_run_id if self.parent else None,
        )

    def _record(self, run: dict[str, Any]) -> None:
        """Take the run record's id, name, deployment, tags and state; the run's logger."""
        self.record = run
        self.run_id = run["id"]
        self.run_name = run["name"]
        self.deployment_id = run.get("deployment_id")
        self.tags = tuple(sorted(set(run.get("tags") or ()) | tags_ctx.get()))
        self.state = State.from_dict(run["state"]) if run.get("state") else None
        self.logger = run_logger(self.run_id, None, f"Flow run {self.run_name!r}", "flow_runs")

    def _refuse(self, error: Exception) -> Exception:
        """The run ends Failed with the parameters' (or name template's) error, never started; a
        subflow whose upstream run did not complete stays Pending, named NotReady (Prefect's)."""
        if isinstance(error, UpstreamFailed):
            self.propose(Pending(name="NotReady", message=str(error)), force=True)  # Pending already
        else:
            failed = Failed(message=str(error))
            failed.set_result(error)  # State.result() re-raises the validation error itself
            self.propose(failed)
            self.logger.error("%s", error)
            self._final_hooks()
        self._mirror_parent()
        return error

    def _recorded(self, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters a run records: a method's `self` / `cls` left out."""
        if getattr(self.flow, "_bound_to", None) is None or self.flow._bound_to is NOT_BOUND or not params:
            return params
        first = next(iter(params))
        return {k: v for k, v in params.items() if k != first}

    def _context(self) -> FlowRunContext:
        limited = self.orch.limited_tags()  # once per flow run: tasks never ask the database
        return FlowRunContext(
            flow=self.flow,
            flow_run_id=self.run_id,  # type: ignore[arg-type]
            flow_run_name=self.run_name,
            client=self.orch,
            task_runner=self.flow.task_runner.duplicate(),
            log_prints=self.flow.log_prints,
            persist_result=self.flow.persist_result,
            limited_tags=limited,
            is_async=self.flow.is_async,
            parameters=self.params,
            engine=self,
        )

    def _enter(self) -> tuple[Any, Any, Any]:
        self.ctx = self._context()
        token = flow_run_ctx.set(self.ctx)
        prints = None
        if self.flow.log_prints:
            install_print_hook()
            prints = print_target.set(print_recorder(self.run_id, None))
        else:
            prints = print_target.set(None)
        # the run's tags (a deployment's too) are on every task run created in its body
        tagged = tags_ctx.set(frozenset(self.tags)) if self.tags else None
        return token, prints, tagged

    def _exit(self, tokens: tuple[Any, Any, Any], wait: bool = True) -> None:
        """Leave the run context: wait for submitted tasks, then write everything buffered."""
        token, prints, tagged = tokens
        if tagged is not None:
            tags_ctx.reset(tagged)
        try:
            if self.ctx is not None:
                self.ctx.task_runner.shutdown(wait=wait)
        finally:
            print_target.reset(prints)
            flow_run_ctx.reset(token)
            self.orch.flush()

    def resolve_returned(self, value: Any) -> Any:
        """The body's return value with the futures in it resolved to their final states (runs
        still going may submit more, so this happens before the task runner shuts down)."""
        return resolve_futures_to_states(value) if has_futures(value) else value

    def succeed(self, value: Any) -> float | None:
        """Propose the state the body's return value gives (Prefect's rule: a state it returned,
        or the aggregate of the runs whose futures or states it returned); seconds until the
        retry may start if that state failed and retries are left, else None."""
        if has_futures(value):
            value = resolve_futures_to_states(value)
        state = final_state_of(value)
        flow = self.flow
        if state.is_completed() and (flow.persist_result or not flow.cache_result_in_memory):
            result = state.result()
            state.data = persist_result(result, None, flow.result_storage, flow.serializer)
            if not flow.cache_result_in_memory:
                state._has_result = False
        return self._settle(self.propose(state))

    def _settle(self, decision: rules.Decision) -> float | None:
        """After proposing an end: the delay before a retry the rules scheduled, or None once
        the run is final (then the subflow's stand-in and the hooks follow)."""
        if decision.status == rules.REJECT and self.state is not None and self.state.is_scheduled():
            when = self.state.scheduled_time
            delay = max(0.0, (when - utcnow()).total_seconds()) if when else 0.0
            self.logger.info("Received non-final state %r: the flow run will be retried", self.state.name)
            return delay
        self.logger.info("Finished in state %r", self.state)
        self._mirror_parent()
        self._final_hooks()
        return None

    def _final_hooks(self) -> None:
        run_final_hooks(self)

    def _run_hooks(self, kind: str) -> None:
        run_flow_hooks(self, kind)

    def fail(self, exc: Exception) -> float | None:
        """Propose the failure; seconds until the retry may start, or None if final."""
        proposed = failure_state(exc, f"Flow run encountered an exception: {type(exc).__name__}: {exc}")
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.logger.error("Encountered exception during execution:\n%s", tb.rstrip())
        return self._settle(self.propose(proposed))

    def crash(self, exc: BaseException) -> None:
        if isinstance(exc, Pause):  # suspended: the run already shows it; only flush what is buffered
            self.orch.flush(timeout=10)
            return
        if is_cancellation(exc) or (isinstance(exc, TerminationSignal) and self._cancelling()):
            state = Cancelled(message="Flow run was cancelled")
        else:
            state = Crashed(message=crash_message(exc))
        state.set_result(exc)
        try:
            self.orch.flush(timeout=10)
        except Exception:
            pass
        self.propose(state)
        self._mirror_parent()
        self._final_hooks()
        self.orch.flush(timeout=10)

    def _cancelling(self) -> bool:
        """Whether the orchestrator is cancelling this run (what a SIGTERM then means)."""
        try:
            return self.orch.read_flow_run(self.run_id)["state_type"] == "CANCELLING"
        except Exception:
            return False

    def _mirror_parent(self) -> None:
        """The subflow's stand-in task run ends in the subflow's final state."""
        if self.parent_task is None or self.state is None:
            return
        self.state.task_run_id = self.parent_task.id  # Prefect's state_details.task_run_id
        mirrored = State(self.state.type, name=self.state.name, message=self.state.message)
        mirrored._child_flow_run_id = self.run_id  # Prefect's state_details.child_flow_run_id
        if self.state._has_result:
            mirrored.set_result(self.state._result)
        self.parent_task.propose(mirrored)

    def outcome(self, return_state: bool) -> Any:
        state = self.state
        assert state is not None
        if return_state:
            return state
        return state.result()
