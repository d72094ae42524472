"""Flows: the `@flow` decorator and a flow's options (its runs are driven by
`flow_engine.FlowRunEngine`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from jupyter_orch.engine.flow_engine import FlowRunEngine
from jupyter_orch.engine.task_runners import TaskRunner, ThreadPoolTaskRunner
from jupyter_orch.engine.tasks import _delays
from jupyter_orch.orchestration import rules
from jupyter_orch.parameters import ParameterModel

R = TypeVar("R")


class Flow(Generic[R]):
    """A function whose calls are tracked as flow runs (see `flow`)."""

    def __init__(
        self,
        fn: Callable[..., R],
        name: str | None = None,
        retries: int = 0,
        retry_delay_seconds: float | list[float] | Callable[[int], list[float]] = 0,
        timeout_seconds: float | None = None,
        log_prints: bool = False,
        task_runner: TaskRunner | None = None,
        persist_result: bool | None = None,
        validate_parameters: bool = True,
        description: str | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError("@flow decorates a function")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "flow").replace("_", "-")
        self.retries = int(retries or 0)
        self.retry_delay_seconds = retry_delay_seconds
        self.timeout_seconds = timeout_seconds
        self.log_prints = bool(log_prints)
        self.task_runner = task_runner or ThreadPoolTaskRunner()
        self.persist_result = persist_result
        self.validate_parameters = validate_parameters
        self.description = description or inspect.getdoc(fn)
        self.is_async = inspect.iscoroutinefunction(fn)
        self.policy = rules.RunPolicy(self.retries, _delays(retry_delay_seconds, self.retries))
        self.parameters = ParameterModel(fn)
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @property
    def parameter_schema(self) -> dict[str, Any]:
        """JSON schema of the parameters (usable as a deployment's `parameter_openapi_schema`)."""
        return self.parameters.schema()

    def with_options(self, **changes: Any) -> Flow[R]:
        options = {
            "name": self.name,
            "retries": self.retries,
            "retry_delay_seconds": self.retry_delay_seconds,
            "timeout_seconds": self.timeout_seconds,
            "log_prints": self.log_prints,
            "task_runner": self.task_runner,
            "persist_result": self.persist_result,
            "validate_parameters": self.validate_parameters,
            "description": self.description,
        }
        unknown = set(changes) - set(options)
        if unknown:
            raise TypeError(f"unknown flow option(s): {', '.join(sorted(unknown))}")
        options.update(changes)
        return Flow(self.fn, **options)

    def to_deployment(self, name: str, **options: Any) -> Any:
        """A deployment of this flow (see `jupyter_orch.runner.to_deployment`)."""
        from jupyter_orch.runner import to_deployment

        return to_deployment(self, name, **options)

    def serve(self, name: str, **options: Any) -> None:
        """Deploy this flow and run its runs in this process until interrupted."""
        from jupyter_orch.runner import serve

        serve(self.to_deployment(name, **options))

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
        from jupyter_orch.runner import deploy

        dep = self.to_deployment(name, **options)
        return deploy(
            dep, work_pool_name=work_pool_name, image=image, print_next_steps_message=print_next_steps
        )[0]

    @classmethod
    def from_source(cls, source: Any, entrypoint: str) -> Flow[Any]:
        """The flow at `entrypoint` ("file.py:flow_function") in the local directory `source`;
        its deployments run it from that directory. A remote (git) source is a clear error."""
        from jupyter_orch.runner import load_from_source

        return load_from_source(source, entrypoint)

    def __call__(self, *args: Any, return_state: bool = False, **kwargs: Any) -> Any:
        """Run the flow: its result, or its final State with `return_state=True`. An async flow
        returns a coroutine to await."""
        engine = FlowRunEngine(self, args, kwargs)
        if self.is_async:
            return engine.run_async(return_state)
        return engine.run_sync(return_state)

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"


@overload
def flow(__fn: Callable[..., R]) -> Flow[R]: ...


@overload
def flow(**options: Any) -> Callable[[Callable[..., R]], Flow[R]]: ...


def flow(__fn: Any = None, **options: Any) -> Any:
    """Decorate a function as a flow: `@flow` or `@flow(retries=1, ...)`; see `Flow`."""
    if __fn is not None:
        return Flow(__fn, **options)
    return lambda fn: Flow(fn, **options)
