"""The loops that drive a flow run through its attempts (retries included), in this thread
(`run_flow_sync`) or on the running event loop (`run_flow_async`), over a `FlowRunEngine` (a
`Flow`'s call makes one and drives it with these). A top-level run in the main thread turns SIGTERM into
`TerminationSignal` meanwhile (as Prefect's engine does), so a run its worker kills ends Crashed,
or Cancelled if it was being cancelled, with its hooks run."""

from __future__ import annotations

import inspect
import threading
from typing import Any

from jupyter_orch.engine.attempts import run_inline, sleep_async, sleep_sync
from jupyter_orch.engine.exceptions import UpstreamFailed
from jupyter_orch.engine.flow_engine import FlowRunEngine
from jupyter_orch.engine.timeouts import TaskRunTimeout, await_with_timeout, call_with_timeout
from jupyter_orch.exceptions import TerminationSignal


def _raise_termination(signum: int, frame: Any) -> None:
    raise TerminationSignal(signum)


def capture_sigterm(engine: FlowRunEngine) -> Any:
    """Install the SIGTERM handler for a top-level run in the main thread; what to restore."""
    if engine.parent is not None or threading.current_thread() is not threading.main_thread():
        return None
    import signal  # lazy: loads with the first top-level run, not with `import jupyter_orch`

    try:
        return (signal.signal(signal.SIGTERM, _raise_termination),)
    except (ValueError, OSError):  # not allowed here (an embedded interpreter)
        return None


def restore_sigterm(previous: Any) -> None:
    if previous is not None:
        import signal  # loaded by capture_sigterm already: a lookup in sys.modules

        signal.signal(signal.SIGTERM, previous[0] if previous[0] is not None else signal.SIG_DFL)


def run_flow_sync(self: FlowRunEngine, return_state: bool) -> Any:
    """Run the flow to its final state in this thread; its result or state."""
    return run_inline(_run(self, return_state, _call_sync, sleep_sync))


async def run_flow_async(self: FlowRunEngine, return_state: bool) -> Any:
    """Run an async flow to its final state on the running event loop."""
    return await _run(self, return_state, _call_async, sleep_async)


async def _call_sync(flow: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    return call_with_timeout(flow.fn, args, kwargs, flow.timeout_seconds, kind="Flow")


async def _call_async(flow: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    value = await await_with_timeout(flow.fn(*args, **kwargs), flow.timeout_seconds, kind="Flow")
    if inspect.iscoroutine(value):  # `return my_async_task()` unawaited: its run is the result (Prefect's)
        value = await value
    return value


async def _run(self: FlowRunEngine, return_state: bool, call: Any, sleep: Any) -> Any:
    """Both drivers' run (see `attempts`): `call(flow, args, kwargs)` runs the body once,
    `sleep(delay)` waits before a retry."""
    error = self.begin()
    if error is not None:
        if return_state or isinstance(error, UpstreamFailed):  # NotReady: its result is unfinished
            return self.outcome(return_state)
        raise error
    if self.reattached is not None:  # a subflow that completed in an earlier attempt of its parent
        return self.outcome(return_state)
    previous = capture_sigterm(self)
    try:
        await _attempts(self, call, sleep)
    finally:
        restore_sigterm(previous)
    return self.outcome(return_state)


async def _attempts(self: FlowRunEngine, call: Any, sleep: Any) -> None:
    while True:
        tokens = self._enter()
        try:
            args, kwargs = self.flow.parameters.call_args(self.params)
            value = await call(self.flow, args, kwargs)
        except Exception as exc:
            self._exit(tokens, wait=not isinstance(exc, TaskRunTimeout))
            delay = self.fail(exc)
        except BaseException as exc:
            self._exit(tokens, wait=False)
            self.crash(exc)
            raise
        else:
            value = self.resolve_returned(value)  # while the task runner still takes submissions
            self._exit(tokens)
            delay = self.succeed(value)
        if delay is None:
            return
        await sleep(delay)
        self._start(retrying=True)
