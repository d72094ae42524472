"""The process that executes one claimed flow run: `python -m jupyter_orch.engine.run_process`.

Its worker starts it by module name (`run_spec.RUN_PROCESS_MODULE`: a subprocess, or a child of
the worker's fork server that imports this module by name), so the workers layer never imports
the engine or the flows it runs. It reads its `RunSpec` (one JSON line) on stdin, then keeps
reading stdin: when the worker dies the pipe closes and this process kills its own process group,
so no run outlives its worker unseen (`workers.process_pipe`). Entrypoints that are engine flows
are called with JUPYTER_ORCH_FLOW_RUN_ID set (the engine adopts the run); a plain function is run
here with its states reported through the client.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from jupyter_orch.client import get_client, reset_client
from jupyter_orch.engine.exceptions import Pause
from jupyter_orch.engine.flow_engine import CLAIMED_ENV, FLOW_RUN_ID_ENV, STARTED_STATE_ENV
from jupyter_orch.engine.flows import Flow
from jupyter_orch.entrypoints import load_entrypoint
from jupyter_orch.run_spec import EXIT_COMPLETED, EXIT_FAILED, RunSpec
from jupyter_orch.states import Completed, Failed, Running
from jupyter_orch.workers.process_pipe import pass_gate, wait_for_release, watch_parent


def run_python(spec: RunSpec) -> int:
    """A Python deployment's run: its entrypoint, an engine flow or a plain function."""
    fn = load_entrypoint(spec.deployment.entrypoint or "", spec.deployment.path)
    if isinstance(fn, Flow):  # a run its worker started: the engine continues from that RUNNING
        try:
            fn(**spec.parameters)
        except Pause as exc:  # suspended: the run waits in PAUSED for its resume; this process ends
            print(exc, file=sys.stderr)
            return 0
        except BaseException:
            traceback.print_exc()
            return 1
        finally:
            reset_client()  # write buffered records: the process ends with os._exit
        return 0
    if spec.started_state_id:
        return _run_plain_started(fn, spec.parameters)
    return _run_plain(spec.flow_run_id, fn, spec.parameters)


def run_notebook(spec: RunSpec) -> int:
    """A notebook deployment's run in this process (a worker's notebook runs normally go to warm
    kernels instead: `workers.notebook_runs.NotebookExecutor`)."""
    # papermill, nbclient and jupyter_client: heavy, and only a notebook run needs them
    from jupyter_orch.workers.notebook_runs import run_notebook_spec

    return run_notebook_spec(spec)


#: deployment kind → what runs its spec in this process
RUNNERS: dict[str, Callable[[RunSpec], int]] = {"python": run_python, "notebook": run_notebook}


def _run_plain_started(fn: Any, params: dict[str, Any]) -> int:
    """A plain function whose run its worker moved to RUNNING: run it; the exit code tells how it
    ended (this process never opens a connection of its own)."""
    try:
        fn(**params)
    except BaseException as exc:
        traceback.print_exc()
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_COMPLETED


def _run_plain(run_id: str, fn: Any, params: dict[str, Any]) -> int:
    client = get_client()
    decision = client.set_flow_run_state(run_id, Running())
    if decision["status"] != "ACCEPT":
        print(f"run {run_id} not started: {decision.get('reason')}", file=sys.stderr)
        return 0
    try:
        fn(**params)
    except BaseException as exc:
        traceback.print_exc()
        sys.stderr.flush()
        client.set_flow_run_state(run_id, Failed(message=f"{type(exc).__name__}: {exc}"))
        return 1
    sys.stdout.flush()
    client.set_flow_run_state(run_id, Completed())
    return 0


def _enter(spec: RunSpec) -> None:
    """The run's environment and working directory (its deployment's path, importable)."""
    os.environ.update(spec.env)
    os.environ[FLOW_RUN_ID_ENV] = spec.flow_run_id
    os.environ[CLAIMED_ENV] = "1"  # its worker's claim: the engine never re-claims it
    path = spec.deployment.path
    if path and os.path.isdir(path):
        os.chdir(path)
        sys.path.insert(0, path)


def _await_start(spec: RunSpec, stdin: Any, released: bool) -> RunSpec | None:
    """A run claimed ahead: get ready, then wait for its time or (`released`) its worker's word.
    The spec to run (with the RUNNING its worker set, if any), or None: not to run."""
    if spec.kind == "python":
        prepare_python(spec)
    if not released:
        delay = float(spec.start_at or 0) - time.time()
        if delay > 0:
            time.sleep(delay)
        return spec
    pass_gate(spec.gate)
    message = wait_for_release(stdin)
    if "abort" in message:
        print(f"run {spec.flow_run_id} not started: {message['abort']}", file=sys.stderr)
        return None
    if message.get("started"):
        spec = spec.with_(started_state_id=message["started"]["id"])
        os.environ[STARTED_STATE_ENV] = spec.started_state_id or ""
    watch_parent(stdin)
    return spec


def execute(spec: RunSpec, stdin: Any = None) -> int:
    """Run one spec in this (fresh) process: environment, working directory, then the runner.

    `stdin`: the worker's pipe, watched (`watch_parent`) once this process no longer waits on it
    for its release.
    """
    _enter(spec)
    runner = RUNNERS.get(spec.kind)
    if runner is None:
        print(f"no executor for deployment kind {spec.kind!r}", file=sys.stderr)
        return 3
    released = spec.start_at is not None and spec.release and stdin is not None
    if stdin is not None and not released:
        watch_parent(stdin)
    if spec.start_at is not None:
        ready = _await_start(spec, stdin, released)
        if ready is None:
            return 0
        spec = ready
    return int(runner(spec) or 0)


def prepare_python(spec: RunSpec) -> None:
    """Before a prestarted run's time: import its flow and open the connection it reports on.

    A failure here is left for the run itself to meet (and report) when it starts.
    """
    try:
        fn = load_entrypoint(spec.deployment.entrypoint or "", spec.deployment.path)
        if not isinstance(fn, Flow) and not spec.release:  # released: its worker reports
            get_client()  # made now: a prepared run reports on it when its time comes
            url = os.environ.get("JUPYTER_ORCH_DATABASE_URL")
            if url and not os.environ.get("JUPYTER_ORCH_API_URL"):  # connect now, read-only
                _connect(url)
    except Exception:
        pass


def _connect(url: str) -> None:
    # SQLAlchemy: the SQLite fast path of a plain function's run never needs it otherwise
    from sqlalchemy import text

    # heavy: SQLAlchemy (see above)
    from jupyter_orch.db.session import read_scope

    with read_scope(url) as session:
        session.execute(text("SELECT 1"))


def main() -> None:
    line = sys.stdin.readline()
    if not line:
        sys.exit(2)
    code = execute(RunSpec.from_json(line), stdin=sys.stdin)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
