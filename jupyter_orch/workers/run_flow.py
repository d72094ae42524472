"""The process that executes one claimed flow run: `python -m jupyter_orch.workers.run_flow`.

It reads its run spec (one JSON line) on stdin, then keeps reading stdin: when the worker dies the
pipe closes and this process kills its own process group, so no run outlives its worker unseen.
Entrypoints that are engine flows are called with JUPYTER_ORCH_FLOW_RUN_ID set (the engine adopts
the run); a plain function is run here with its states reported through the worker client.
"""

from __future__ import annotations

import fcntl
import importlib
import importlib.util
import json
import os
import select
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from jupyter_orch.client import get_client, reset_client
from jupyter_orch.states import Completed, Failed, Running

#: kind → "module:function" running a spec; notebook deployments plug in here
RUNNERS: dict[str, str] = {
    "python": "jupyter_orch.workers.run_flow:run_python",
    "notebook": "jupyter_orch.workers.notebook_runs:run_notebook_spec",
}


def watch_parent(stream: Any) -> None:
    """End our whole process group when the worker's end of our stdin closes.

    No thread (starting one cost a run ~1.5 ms of CPU, a second on two cores when a thousand runs
    start at once): the pipe goes into signal-driven mode (`O_ASYNC`) owned by our process group,
    so the kernel itself sends SIGIO, whose default action ends a process, to every process of the
    group when the pipe's last writer goes. The worker writes nothing more on it from here on. A
    pipe already closed ends the group now; where signal-driven pipes are missing, a thread reads.
    (A flow that installs its own SIGIO handler outlives its worker; its run is still marked
    Crashed when its heartbeats stop.)
    """
    try:
        fd = stream.fileno()
        signal.signal(signal.SIGIO, signal.SIG_DFL)
        fcntl.fcntl(fd, fcntl.F_SETOWN, -os.getpgrp())
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
    except (AttributeError, OSError, ValueError):
        threading.Thread(target=_read_until_closed, args=(stream,), name="parent-watch", daemon=True).start()
        return
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    if poller.poll(0):  # closed before signal-driven mode was on (nothing else is ever written)
        os.killpg(os.getpgrp(), signal.SIGKILL)


def _read_until_closed(stream: Any) -> None:
    try:
        while stream.read(1024):
            pass
    except (OSError, ValueError):
        pass
    os.killpg(os.getpgrp(), signal.SIGKILL)


_LOADED: dict[tuple[str, str | None], Any] = {}


def load_entrypoint(entrypoint: str, path: str | None) -> Any:
    """The object named by "file.py:name" (relative to `path`) or "package.module:name"."""
    key = (entrypoint, path)
    if key not in _LOADED:
        _LOADED[key] = _load_entrypoint(entrypoint, path)
    return _LOADED[key]


def _load_entrypoint(entrypoint: str, path: str | None) -> Any:
    target, _, attr = entrypoint.rpartition(":")
    if not target or not attr:
        raise ValueError(f"entrypoint {entrypoint!r} must look like 'path/to/file.py:flow_function'")
    if target.endswith(".py"):
        file = Path(path or ".", target)
        spec = importlib.util.spec_from_file_location(f"__jupyter_orch_{file.stem}", file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _is_engine_flow(obj: Any) -> bool:
    try:
        from jupyter_orch.engine.flows import Flow
    except ImportError:
        return False
    return isinstance(obj, Flow)


def run_python(spec: dict[str, Any]) -> int:
    deployment = spec.get("deployment") or {}
    fn = load_entrypoint(deployment["entrypoint"], deployment.get("path"))
    params = spec.get("parameters") or {}
    if _is_engine_flow(fn):  # a run its worker started: the engine continues from that RUNNING
        from jupyter_orch.engine.exceptions import Pause

        try:
            fn(**params)
        except Pause as exc:  # suspended: the run waits in PAUSED for its resume; this process ends
            print(exc, file=sys.stderr)
            return 0
        except BaseException:
            traceback.print_exc()
            return 1
        finally:
            reset_client()  # write buffered records: the process ends with os._exit
        return 0
    if spec.get("started_state_id"):
        return _run_plain_started(fn, params)
    return _run_plain(spec["flow_run_id"], fn, params)


#: exit codes of a plain function's run that its worker started: the worker reports the end
#: (COMPLETED, or FAILED with the last line of the traceback), for many runs in one transaction
EXIT_COMPLETED = 80
EXIT_FAILED = 81


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


#: set for an engine flow whose worker already moved its run to RUNNING: that state's id
STARTED_STATE_ENV = "JUPYTER_ORCH_FLOW_RUN_STARTED_STATE"


def wait_for_release(stream: Any) -> dict[str, Any]:
    """A prepared run's process: block until its worker releases it (one JSON line on stdin).

    `{"started": STATE}`: the worker started the run (RUNNING, with the others due at the same
    time, in one transaction) — run the body now; `{"abort": REASON}`: the run is not to run
    (cancelled meanwhile, handed back at shutdown) — exit; `{"run": true}`: propose RUNNING
    yourself, as an unprepared run does. The pipe closing (the worker died) kills this process
    group, as `watch_parent` does later.
    """
    line = stream.readline()
    if not line:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    return json.loads(line)


def pass_gate(path: str | None) -> None:
    """Wait until the worker opens the gate of this run's start time (`executors.Gates`): it writes
    every process's answer first, then lets them all go at once. A gate already gone is open."""
    if not path:
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    finally:
        os.close(fd)


def execute(spec: dict[str, Any], stdin: Any = None) -> int:
    """Run one spec in this (fresh) process: environment, working directory, then the runner.

    `stdin`: the worker's pipe, watched (`watch_parent`) once this process no longer waits on it
    for its release.
    """
    os.environ.update({k: str(v) for k, v in (spec.get("env") or {}).items()})
    os.environ["JUPYTER_ORCH_FLOW_RUN_ID"] = spec["flow_run_id"]
    os.environ["JUPYTER_ORCH_FLOW_RUN_CLAIMED"] = "1"  # its worker's claim: the engine never re-claims it
    path = (spec.get("deployment") or {}).get("path")
    if path and os.path.isdir(path):
        os.chdir(path)
        sys.path.insert(0, path)
    kind = (spec.get("deployment") or {}).get("kind") or "python"
    module_name, _, func = RUNNERS.get(kind, "").partition(":")
    if not module_name:
        print(f"no executor for deployment kind {kind!r}", file=sys.stderr)
        return 3
    runner = getattr(importlib.import_module(module_name), func)
    start_at = spec.get("start_at")
    released = start_at is not None and spec.get("release") and stdin is not None
    if stdin is not None and not released:
        watch_parent(stdin)
    if start_at is not None:  # claimed ahead: get ready, then start on time
        if kind == "python":
            prepare_python(spec)
        if released:  # the worker starts it: wait for word
            pass_gate(spec.get("gate"))
            message = wait_for_release(stdin)
            if "abort" in message:
                print(f"run {spec['flow_run_id']} not started: {message['abort']}", file=sys.stderr)
                return 0
            if message.get("started"):
                spec["started_state_id"] = message["started"]["id"]
                os.environ[STARTED_STATE_ENV] = spec["started_state_id"]
            watch_parent(stdin)
        else:
            delay = float(start_at) - time.time()
            if delay > 0:
                time.sleep(delay)
    return int(runner(spec) or 0)


def prepare_python(spec: dict[str, Any]) -> None:
    """Before a prestarted run's time: import its flow and open the connection it reports on.

    A failure here is left for the run itself to meet (and report) when it starts.
    """
    deployment = spec.get("deployment") or {}
    try:
        fn = load_entrypoint(deployment["entrypoint"], deployment.get("path"))
        if not _is_engine_flow(fn) and not spec.get("release"):  # released: its worker reports
            get_client()  # made now: a prepared run reports on it when its time comes
            url = os.environ.get("JUPYTER_ORCH_DATABASE_URL")
            if url and not os.environ.get("JUPYTER_ORCH_API_URL"):  # connect now, read-only
                from sqlalchemy import text

                from jupyter_orch.db.session import read_scope

                with read_scope(url) as session:
                    session.execute(text("SELECT 1"))
    except Exception:
        pass


def main() -> None:
    line = sys.stdin.readline()
    if not line:
        sys.exit(2)
    code = execute(json.loads(line), stdin=sys.stdin)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
