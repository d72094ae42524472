"""Executors start a claimed run in a fresh process and give the worker a handle on it.

Each run travels as a `RunSpec`. `ProcessExecutor` serves every deployment kind: the child runs
the engine's run process (`run_spec.RUN_PROCESS_MODULE`, started by module name, never imported
here), which picks the runner by the deployment's `kind`. `KindExecutor` puts a different executor
in front for some kinds: notebook runs go to `notebook_runs.NotebookExecutor`, which runs them on
warm kernels (the notebook's code runs in the kernel process, so no extra process is needed).
Processes come from a warm fork server when possible (milliseconds instead of an interpreter
start-up) or from a plain `python -m jupyter_orch.engine.run_process` subprocess.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from jupyter_orch.run_spec import RUN_PROCESS_MODULE, RunSpec
from jupyter_orch.workers.forkserver import ForkServer

LineSink = Callable[[str, int, str], None]  # (flow_run_id, level, line)

log = logging.getLogger(__name__)


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
        #: no longer its worker's to report: a prepared run told not to start, or a run killed
        #: because it ended meanwhile or another worker holds it now
        self.handed_back = False
        #: set when each of its output pipes reached its end (`OutputPump`)
        self.output_done: list[threading.Event] = []

    def poll(self) -> int | None:
        code = self._poll()
        if code is not None and self._stdin_fd >= 0:
            os.close(self._stdin_fd)
            self._stdin_fd = -1
        return code

    def release(self, message: dict[str, Any]) -> bool:
        """Tell a prepared process (`RunSpec.release`) to go on (`process_pipe.wait_for_release`)."""
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
        deadline = time.monotonic() + timeout
        for done in self.output_done:
            done.wait(max(0.0, deadline - time.monotonic()))


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class OutputPump:
    """Reads every run's stdout and stderr on one thread and hands the sink each line.

    One thread for all pipes (a selector), not two threads a run: a worker with a thousand runs
    prepared for the same minute kept two thousand threads, all woken at once when the runs ended.
    """

    def __init__(self, sink: LineSink) -> None:
        self.sink = sink
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._new: list[tuple[int, _Pipe]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closing = False

    def add(self, fd: int, run_id: str, level: int) -> threading.Event:
        """Pump `fd` (closed at its end) into the sink; the event is set once it is all read."""
        pipe = _Pipe(run_id, level)
        with self._lock:
            if self._closing:
                raise RuntimeError("the output pump is closed")
            self._new.append((fd, pipe))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="jupyter-orch-output", daemon=True)
                self._thread.start()
            self._wake()
        return pipe.done

    def close(self) -> None:
        """Pump what the pipes still hold until their ends, then stop the thread."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            if self._thread is not None:
                self._wake()
            else:
                self._release()

    def _wake(self) -> None:
        """Interrupt the thread's wait (the caller holds the lock: the pipe is still open)."""
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"\0")

    def _release(self) -> None:
        """Close the selector and the wake pipe (the caller holds the lock)."""
        self._selector.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._closing and not self._new and len(self._selector.get_map()) == 1:
                    self._release()  # closed, and every pipe read to its end
                    return
            for key, _ in self._selector.select():
                if key.data is None:  # new pipes to watch
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                    with self._lock:
                        new, self._new = self._new, []
                    for fd, pipe in new:
                        self._selector.register(fd, selectors.EVENT_READ, pipe)
                    continue
                try:
                    data = os.read(key.fd, 65536)
                except OSError:
                    data = b""
                for line in key.data.feed(data):
                    try:
                        self.sink(key.data.run_id, key.data.level, line)
                    except Exception:  # a sink failure loses a line, never the pump
                        log.exception("output of run %s: a line was not recorded", key.data.run_id)
                if not data:
                    self._selector.unregister(key.fd)
                    os.close(key.fd)
                    key.data.done.set()


class _Pipe:
    """One output pipe's decoder and unfinished last line."""

    def __init__(self, run_id: str, level: int) -> None:
        self.run_id = run_id
        self.level = level
        self.done = threading.Event()
        self._decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
        self._partial = ""

    def feed(self, data: bytes) -> list[str]:
        """The whole lines `data` completes (at the end, `b""`: the last line, if unfinished)."""
        text = self._partial + self._decode(data, final=not data)
        lines = text.split("\n")
        self._partial = lines.pop()
        if not data and self._partial:
            lines.append(self._partial)
            self._partial = ""
        return [line.removesuffix("\r") for line in lines]


class ProcessExecutor:
    """Starts each run in a fresh process (forked from a warm zygote when `warm`)."""

    def __init__(self, sink: LineSink, env: dict[str, str] | None = None, warm: bool = True) -> None:
        self.sink = sink
        self.env = dict(env) if env is not None else dict(os.environ)
        self.warm = warm and hasattr(os, "fork") and sys.platform != "darwin"
        self._fork: ForkServer | None = None
        self._lock = threading.Lock()
        self._gates = Gates()
        self._pump = OutputPump(sink)

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

    def can_prestart(self, spec: RunSpec) -> bool:
        """Its process can be started ahead and wait for the run's time itself (`start_at`)."""
        return True

    def start(self, spec: RunSpec, release: bool = False) -> RunHandle:
        """Start the run's process; with `spec.start_at` (epoch s) it prepares, then waits until
        then, or, with `release`, until the worker releases it (`RunHandle.release`)."""
        spec = spec.with_(env={**spec.env, **self._client_env()}, release=False, gate=None)
        if spec.start_at is not None and release:
            spec = spec.with_(release=True, gate=self._gates.gate(spec.start_at))
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

    def _start_forked(self, spec: RunSpec) -> RunHandle:
        server = self._forkserver()
        pid, in_w, out_r, err_r = server.spawn(spec)
        handle = RunHandle(spec.flow_run_id, pid, in_w, lambda: server.exit_codes.get(pid))
        handle.output_done = [
            self._pump.add(out_r, handle.run_id, 20),
            self._pump.add(err_r, handle.run_id, 40),
        ]
        return handle

    def _start_subprocess(self, spec: RunSpec) -> RunHandle:
        env = {**self.env, **spec.env}
        proc = subprocess.Popen(
            [sys.executable, "-m", RUN_PROCESS_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write((spec.to_json() + "\n").encode())
        proc.stdin.flush()
        in_fd = os.dup(proc.stdin.fileno())
        proc.stdin.close()
        handle = RunHandle(spec.flow_run_id, proc.pid, in_fd, proc.poll)
        handle.output_done = [
            self._pump.add(os.dup(proc.stdout.fileno()), handle.run_id, 20),
            self._pump.add(os.dup(proc.stderr.fileno()), handle.run_id, 40),
        ]
        proc.stdout.close()
        proc.stderr.close()
        return handle

    def open_gates(self, until: float | None = None) -> None:
        """Let the prepared processes due by `until` (all: None) read what they were released with."""
        self._gates.open(until)

    def close(self) -> None:
        self._gates.open()
        self._pump.close()
        self._pump = OutputPump(self.sink)  # a closed executor may start runs again
        with self._lock:
            if self._fork is not None:
                self._fork.close()
                self._fork = None


class Gates:
    """One closed gate per start time that prepared processes wait behind (`process_pipe.pass_gate`).

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

    def _for(self, spec: RunSpec) -> Any:
        return self.by_kind.get(spec.kind, self.default)

    def can_prestart(self, spec: RunSpec) -> bool:
        executor = self._for(spec)
        return executor is self.default and executor.can_prestart(spec)

    def start(self, spec: RunSpec, release: bool = False) -> Any:
        executor = self._for(spec)
        if executor is self.default:
            return executor.start(spec, release=release)
        return executor.start(spec)

    def open_gates(self, until: float | None = None) -> None:
        self.default.open_gates(until)

    def close(self) -> None:
        for executor in (*self.by_kind.values(), self.default):
            executor.close()
