"""Executors start a claimed run in a fresh process and give the worker a handle on it.

`ProcessExecutor` serves every deployment kind: the child (`run_flow.execute`) picks the runner by
the deployment's `kind` (`run_flow.RUNNERS`). `KindExecutor` puts a different executor in front
for some kinds: notebook runs go to `notebooks.run.NotebookExecutor`, which runs them on warm
kernels (the notebook's code runs in the kernel process, so no extra process is needed). Processes come from a
warm fork server when possible (milliseconds instead of an interpreter start-up) or from a plain
`python -m jupyter_orch.workers.run_flow` subprocess.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from jupyter_orch.workers.forkserver import ForkServer

LineSink = Callable[[str, int, str], None]  # (flow_run_id, level, line)


class RunHandle:
    """A running run's process: poll its exit code, kill its process group, stream its output."""

    def __init__(self, run_id: str, pid: int, stdin_fd: int, poll: Callable[[], int | None]) -> None:
        self.run_id = run_id
        self.pid = pid
        self._stdin_fd = stdin_fd
        self._poll = poll
        self.cancel_requested = False
        #: released by its worker after the worker moved the run to RUNNING (`Worker._release_due`)
        self.started_by_worker = False
        self.readers: list[threading.Thread] = []

    def poll(self) -> int | None:
        code = self._poll()
        if code is not None and self._stdin_fd >= 0:
            os.close(self._stdin_fd)
            self._stdin_fd = -1
        return code

    def release(self, message: dict[str, Any]) -> bool:
        """Tell a prepared process (`spec["release"]`) to go on (`run_flow.wait_for_release`)."""
        if self._stdin_fd < 0:
            return False
        try:
            os.write(self._stdin_fd, (json.dumps(message) + "\n").encode())
        except OSError:
            return False
        return True

    def kill(self, grace: float = 3.0) -> None:
        """SIGTERM the process group, SIGKILL it `grace` seconds later if still there."""
        self.cancel_requested = True
        _signal_group(self.pid, signal.SIGTERM)

        def _later() -> None:
            time.sleep(grace)
            if self._poll() is None:
                _signal_group(self.pid, signal.SIGKILL)

        threading.Thread(target=_later, daemon=True).start()

    def join_output(self, timeout: float = 2.0) -> None:
        for t in self.readers:
            t.join(timeout)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _pump(fd: int, run_id: str, level: int, sink: LineSink) -> threading.Thread:
    def _read() -> None:
        with os.fdopen(fd, "r", errors="replace") as stream:
            for line in stream:
                sink(run_id, level, line.rstrip("\n"))

    t = threading.Thread(target=_read, name=f"output-{run_id[:8]}", daemon=True)
    t.start()
    return t


class ProcessExecutor:
    """Starts each run in a fresh process (forked from a warm zygote when `warm`)."""

    def __init__(self, sink: LineSink, env: dict[str, str] | None = None, warm: bool = True) -> None:
        self.sink = sink
        self.env = dict(env) if env is not None else dict(os.environ)
        self.warm = warm and hasattr(os, "fork") and sys.platform != "darwin"
        self._fork: ForkServer | None = None
        self._lock = threading.Lock()
        self._gates = Gates()

    def _forkserver(self) -> ForkServer:
        with self._lock:
            if self._fork is None or not self._fork.alive():
                self._fork = ForkServer(self.env)
            return self._fork

    def warm_up(self, timeout: float = 30.0) -> None:
        """Start the fork server now and wait until it is ready, so the first runs start on time."""
        if self.warm:
            try:
                self._forkserver().wait_ready(timeout)
            except OSError:
                self.warm = False

    def can_prestart(self, run: dict[str, Any]) -> bool:
        """Its process can be started ahead and wait for the run's time itself (`start_at`)."""
        return True

    def start(self, run: dict[str, Any], start_at: float | None = None, release: bool = False) -> RunHandle:
        """Start the run's process; with `start_at` (epoch s) it prepares, then waits until then,
        or, with `release`, until the worker releases it (`RunHandle.release`)."""
        spec = {
            "flow_run_id": run["id"],
            "parameters": run.get("parameters") or {},
            "deployment": run.get("deployment") or {},
            "env": {**(run.get("job_variables") or {}).get("env", {}), **self._client_env()},
        }
        if start_at is not None:
            spec["start_at"] = start_at
            spec["release"] = release
            if release:
                spec["gate"] = self._gates.gate(start_at)
        if self.warm:
            try:
                return self._start_forked(spec)
            except (OSError, RuntimeError):
                self.warm = False  # fall back to plain subprocesses for good
        return self._start_subprocess(spec)

    def _client_env(self) -> dict[str, str]:
        keys = (
            "JUPYTER_ORCH_DATABASE_URL",
            "JUPYTER_ORCH_API_URL",
            "JUPYTER_ORCH_API_TOKEN",
            "JUPYTER_ORCH_HOME",
        )
        return {k: self.env[k] for k in keys if self.env.get(k)}

    def _start_forked(self, spec: dict[str, Any]) -> RunHandle:
        server = self._forkserver()
        pid, in_w, out_r, err_r = server.spawn(spec)
        handle = RunHandle(spec["flow_run_id"], pid, in_w, lambda: server.exit_codes.get(pid))
        handle.readers = [
            _pump(out_r, handle.run_id, 20, self.sink),
            _pump(err_r, handle.run_id, 40, self.sink),
        ]
        return handle

    def _start_subprocess(self, spec: dict[str, Any]) -> RunHandle:
        env = {**self.env, **spec["env"]}
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_orch.workers.run_flow"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write((json.dumps(spec) + "\n").encode())
        proc.stdin.flush()
        in_fd = os.dup(proc.stdin.fileno())
        proc.stdin.close()
        handle = RunHandle(spec["flow_run_id"], proc.pid, in_fd, proc.poll)
        handle.readers = [
            _pump(os.dup(proc.stdout.fileno()), handle.run_id, 20, self.sink),
            _pump(os.dup(proc.stderr.fileno()), handle.run_id, 40, self.sink),
        ]
        proc.stdout.close()
        proc.stderr.close()
        return handle

    def open_gates(self, until: float | None = None) -> None:
        """Let the prepared processes due by `until` (all: None) read what they were released with."""
        self._gates.open(until)

    def close(self) -> None:
        self._gates.open()
        with self._lock:
            if self._fork is not None:
                self._fork.close()
                self._fork = None


class Gates:
    """One closed gate per start time that prepared processes wait behind (`run_flow.pass_gate`).

    Releasing a thousand processes one pipe write at a time is slow: each write wakes a process
    that takes the CPU from the worker before its next write. So the worker writes every answer
    while the processes still wait behind their gate — an exclusive `flock` on a file — and then
    opens the gate once: all of them wake together. A gate opens by itself if the worker dies
    (the kernel drops the lock), and the processes then find their pipe closed.
    """

    def __init__(self) -> None:
        self._dir: str | None = None
        self._held: dict[float, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def gate(self, start_at: float) -> str:
        """The path of the gate for `start_at`, closed (created and locked) if new."""
        with self._lock:
            held = self._held.get(start_at)
            if held is None:
                if self._dir is None:
                    self._dir = tempfile.mkdtemp(prefix="jupyter-orch-gates-")
                path = os.path.join(self._dir, f"{start_at:.6f}")
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)
                held = self._held[start_at] = (path, fd)
            return held[0]

    def open(self, until: float | None = None) -> None:
        with self._lock:
            for start_at in [t for t in self._held if until is None or t <= until]:
                path, fd = self._held.pop(start_at)
                with contextlib.suppress(OSError):
                    os.unlink(path)
                os.close(fd)  # drops the lock: every process behind it wakes
            if not self._held and self._dir is not None:
                with contextlib.suppress(OSError):
                    os.rmdir(self._dir)
                self._dir = None


class KindExecutor:
    """Dispatch by deployment kind: `by_kind[kind]` when present, else `default`."""

    def __init__(self, default: ProcessExecutor, by_kind: dict[str, Any]) -> None:
        self.default = default
        self.by_kind = by_kind

    def warm_up(self, timeout: float = 30.0) -> None:
        self.default.warm_up(timeout)

    def _for(self, run: dict[str, Any]) -> Any:
        return self.by_kind.get((run.get("deployment") or {}).get("kind") or "python", self.default)

    def can_prestart(self, run: dict[str, Any]) -> bool:
        executor = self._for(run)
        return executor is self.default and executor.can_prestart(run)

    def start(self, run: dict[str, Any], start_at: float | None = None, release: bool = False) -> Any:
        executor = self._for(run)
        if executor is self.default:
            return executor.start(run, start_at=start_at, release=release)
        return executor.start(run)

    def open_gates(self, until: float | None = None) -> None:
        self.default.open_gates(until)

    def close(self) -> None:
        for executor in (*self.by_kind.values(), self.default):
            executor.close()
