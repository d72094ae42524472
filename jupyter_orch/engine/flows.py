"""Flows: the `@flow` decorator and a flow's options (a call makes a `flow_engine.FlowRunEngine`
and drives it with `flow_drivers`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from jupyter_orch.coroutines import as_awaitable, called_from_coroutine
from jupyter_orch.engine.caching import source_file_hash
from jupyter_orch.engine.flow_drivers import run_flow_async, run_flow_sync
from jupyter_orch.engine.flow_engine import FlowRunEngine
from jupyter_orch.engine.generators import generator_kind, run_flow_generator
from jupyter_orch.engine.methods import NOT_BOUND, UNSET, Decorated, decorator, decorator_signature, given
from jupyter_orch.engine.task_runners import TaskRunner, ThreadPoolTaskRunner
from jupyter_orch.engine.tasks import _delays
from jupyter_orch.exceptions import check_name, check_reserved
from jupyter_orch.orchestration import rules
from jupyter_orch.parameters import ParameterModel
from jupyter_orch.results import serializer_name
from jupyter_orch.settings import PREFECT_FLOW_DEFAULT_RETRIES, PREFECT_FLOW_DEFAULT_RETRY_DELAY_SECONDS

R = TypeVar("R")


def _flow_name(name: Any, fn: Callable[..., Any]) -> str:
    """The flow's name: `name`, else the function's with dashes (a lambda is 'unknown-lambda')."""
    if name is not None and not isinstance(name, str):
        hint = " Perhaps you meant to call it?" if callable(name) else ""
        raise TypeError(
            f"Expected string for flow parameter 'name'; got {type(name).__name__} instead.{hint}"
        )
    default = getattr(fn, "__name__", "flow").replace("_", "-").replace("<lambda>", "unknown-lambda")
    return check_name(name or default)


def _run_name_template(template: Any) -> Any:
    if template is not None and not isinstance(template, str) and not callable(template):
        raise TypeError(
            f"Expected string or callable for 'flow_run_name'; got {type(template).__name__} instead."
        )
    return template


async def _first_of(ids: Any) -> Any:
    """The first id `deploy` answered (awaited first if it is awaitable)."""
    return (await ids if inspect.isawaitable(ids) else ids)[0]


class Flow(Decorated, Generic[R]):
    """A function whose calls are tracked as flow runs (see `flow`); options as Prefect's."""

    def __init__(
        self,
        fn: Callable[..., R],
        name: str | None = None,
        version: str | None = None,
        flow_run_name: str | Callable[..., str] | None = None,
        retries: int | None = None,
        retry_delay_seconds: float | list[float] | Callable[[int], list[float]] | None = None,
        task_runner: TaskRunner | None = None,
        description: str | None = None,
        timeout_seconds: float | None = None,
        validate_parameters: bool = True,
        persist_result: bool | None = None,
        result_storage: Any = None,
        result_serializer: Any = None,
        cache_result_in_memory: bool = True,
        log_prints: bool | None = None,
        on_completion: list[Callable[..., Any]] | None = None,
        on_failure: list[Callable[..., Any]] | None = None,
        on_cancellation: list[Callable[..., Any]] | None = None,
        on_crashed: list[Callable[..., Any]] | None = None,
        on_running: list[Callable[..., Any]] | None = None,
    ) -> None:
        fn = self._unwrap(fn, "flow")
        self.name = _flow_name(name, fn)
        self._version = version
        self.flow_run_name = _run_name_template(flow_run_name)
        self.retries = int(PREFECT_FLOW_DEFAULT_RETRIES.value() if retries is None else retries)
        if retry_delay_seconds is None:
            retry_delay_seconds = PREFECT_FLOW_DEFAULT_RETRY_DELAY_SECONDS.value()
        self.retry_delay_seconds = retry_delay_seconds or 0
        self.timeout_seconds = timeout_seconds or None  # 0 unsets it, as in Prefect
        self.log_prints = bool(log_prints)
        self.task_runner = (
            task_runner() if isinstance(task_runner, type) else task_runner or ThreadPoolTaskRunner()
        )
        if persist_result is None and (result_storage is not None or result_serializer is not None):
            persist_result = True  # where to keep results, or how: they are kept (Prefect's rule)
        self.persist_result = persist_result
        self.result_storage = result_storage
        self.result_serializer = result_serializer
        self.serializer = serializer_name(result_serializer)
        self.cache_result_in_memory = cache_result_in_memory
        self.validate_parameters = validate_parameters
        self.description = description or inspect.getdoc(fn)
        self._set_hooks(
            on_completion=on_completion, on_failure=on_failure, on_cancellation=on_cancellation,
            on_crashed=on_crashed, on_running=on_running,
        )  # fmt: skip
        self.generator = generator_kind(fn)  # a generator flow's call yields as its body does
        # an async generator flow's body awaits its async tasks, as an async flow's does
        self.is_async = inspect.iscoroutinefunction(fn) or self.generator == "async"
        self.policy = rules.RunPolicy(self.retries, _delays(self.retry_delay_seconds, self.retries))
        check_reserved(fn, ("return_state", "wait_for"))
        self.parameters = ParameterModel(fn)
        if validate_parameters and any(p.name.startswith("v__") for p in self.parameters.params):
            raise ValueError(
                "Flow function is not compatible with `validate_parameters`: rename its parameters "
                "that start with 'v__', or pass validate_parameters=False"
            )
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @property
    def version(self) -> str | None:
        """The given version, else (as Prefect) a hash of the file the flow is defined in."""
        if self._version is None:
            self._version = source_file_hash(self.fn)
        return self._version

    @version.setter
    def version(self, value: str | None) -> None:
        self._version = value

    @property
    def should_validate_parameters(self) -> bool:
        """Prefect's name for `validate_parameters`."""
        return self.validate_parameters

    @property
    def parameter_schema(self) -> dict[str, Any]:
        """JSON schema of the parameters (usable as a deployment's `parameter_openapi_schema`)."""
        return self.parameters.schema()

    # -- the flow-only hooks as decorators (the others are `Decorated`'s) --------------------------
    def on_cancellation(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self._add_hook("on_cancellation", fn)

    def on_crashed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self._add_hook("on_crashed", fn)

    _option_attributes = {"version": "_version"}  # the property would hash the source file

    def with_options(
        self,
        *,
        name: str = UNSET,
        version: str | None = UNSET,
        flow_run_name: str | Callable[..., str] | None = UNSET,
        retries: int | None = UNSET,
        retry_delay_seconds: float | list[float] | Callable[[int], list[float]] | None = UNSET,
        task_runner: TaskRunner | None = UNSET,
        description: str | None = UNSET,
        timeout_seconds: float | None = UNSET,
        validate_parameters: bool = UNSET,
        persist_result: bool | None = UNSET,
        result_storage: Any = UNSET,
        result_serializer: Any = UNSET,
        cache_result_in_memory: bool = UNSET,
        log_prints: bool | None = UNSET,
        on_completion: list[Callable[..., Any]] | None = UNSET,
        on_failure: list[Callable[..., Any]] | None = UNSET,
        on_cancellation: list[Callable[..., Any]] | None = UNSET,
        on_crashed: list[Callable[..., Any]] | None = UNSET,
        on_running: list[Callable[..., Any]] | None = UNSET,
    ) -> Flow[R]:
        """A copy of this flow with the given options changed (the rest kept)."""
        copied = self._copy_with(given(locals()))
        for where in ("source", "_storage", "_entrypoint"):  # from_source's: its copies come from there too
            if where in self.__dict__:
                setattr(copied, where, self.__dict__[where])
        return copied

    def to_deployment(self, name: str, **options: Any) -> Any:
        """A deployment of this flow (see `jupyter_orch.runner.to_deployment`)."""
        # the runner brings the services and SQLAlchemy: imported only when deploying
        from jupyter_orch.runner import to_deployment

        deployment = to_deployment(self, name, **options)
        if called_from_coroutine(2):
            return deployment if inspect.isawaitable(deployment) else as_awaitable(deployment)
        return deployment

    def serve(
        self,
        name: str,
        *,
        pause_on_shutdown: bool = True,
        limit: int | None = None,
        print_starting_message: bool = True,
        webserver: bool = False,
        **options: Any,
    ) -> None:
        """Deploy this flow and run its runs in this process until interrupted; then its schedules
        pause unless `pause_on_shutdown=False` (Prefect's). `print_starting_message` and `webserver`
        are taken for Prefect's signature (no status webserver is started)."""
        # the runner brings the services and SQLAlchemy: imported only when deploying
        from jupyter_orch import runner

        served = runner.Runner(name=name, pause_on_shutdown=pause_on_shutdown, limit=limit)
        served.add_flow(self, name, **options)
        if print_starting_message:
            print(runner.serve_message(self.name, name), flush=True)
        from jupyter_orch.engine.asyncutils import run_coro_sync  # asyncio: only to serve

        try:
            run_coro_sync(served.start(webserver=webserver))
        except KeyboardInterrupt:  # Ctrl-C is how serving ends
            pass

    def deploy(
        self,
        name: str,
        work_pool_name: str | None = None,
        image: Any = None,
        build: bool = True,
        push: bool = True,
        print_next_steps: bool = True,
        ignore_warnings: bool = False,
        **options: Any,
    ) -> str:
        """Create or update a deployment of this flow for a work pool's workers; its id. Takes
        `to_deployment`'s options (cron, interval, parameters, tags, ...); `image=` is an error:
        our pools run processes, nothing is built (see `jupyter_orch.runner.deploy`)."""
        # the runner brings the services and SQLAlchemy: imported only when deploying
        from jupyter_orch.deployments import runner
        from jupyter_orch.runner.deploy import check_work_pool

        dep = self.to_deployment(name, **options)
        check_work_pool(work_pool_name)
        ids = runner.deploy(  # through Prefect's module, as Prefect's flow.deploy calls it
            dep,
            work_pool_name=work_pool_name,
            image=image,
            build=build,
            push=push,
            print_next_steps_message=print_next_steps,
            ignore_warnings=ignore_warnings,
        )
        if called_from_coroutine(2):  # `await flow.deploy(...)`, as Prefect's
            return _first_of(ids)  # type: ignore[return-value]
        if inspect.isawaitable(ids):
            from jupyter_orch.engine.asyncutils import run_coro_sync  # asyncio: only for a coroutine

            ids = run_coro_sync(ids)
        return ids[0]

    @classmethod
    def from_source(cls, source: Any, entrypoint: str) -> Flow[Any]:
        """The flow at `entrypoint` ("file.py:flow_function") in the local directory `source`;
        its deployments run it from that directory. A remote (git) source is a clear error."""
        # the runner brings the services and SQLAlchemy: imported only when deploying
        from jupyter_orch.runner import load_from_source

        loaded = load_from_source(source, entrypoint)
        return as_awaitable(loaded) if called_from_coroutine(2) else loaded

    def __call__(self, *args: Any, return_state: bool = False, wait_for: Any = None, **kwargs: Any) -> Any:
        """Run the flow: its result, or its final State with `return_state=True`. An async flow
        returns a coroutine to await. `wait_for=[futures or states]`: it starts once they ended."""
        if self._bound_to is not NOT_BOUND:
            args = (self._bound_to, *args)
        engine = FlowRunEngine(self, args, kwargs)
        engine.wait_for = wait_for
        if self.generator is not None:
            return run_flow_generator(engine, return_state)
        if self.is_async:
            return run_flow_async(engine, return_state)
        return run_flow_sync(engine, return_state)

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"


@overload
def flow(__fn: Callable[..., R]) -> Flow[R]: ...


@overload
def flow(**options: Any) -> Callable[[Callable[..., R]], Flow[R]]: ...


def flow(__fn: Any = None, **options: Any) -> Any:
    """Decorate a function as a flow: `@flow` or `@flow(retries=1, ...)`; see `Flow`."""
    return decorator(Flow, __fn, options)


#: the options `@flow(...)` takes, as Prefect's decorator lists them: those of `with_options`
flow.__signature__ = decorator_signature(Flow.with_options, ())  # type: ignore[attr-defined]


# Prefect's `flow` is an object with `from_source`: `flow.from_source(source=..., entrypoint=...)`
flow.from_source = Flow.from_source  # type: ignore[attr-defined]
