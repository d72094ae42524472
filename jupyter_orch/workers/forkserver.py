"""A warm "zygote" process that forks one fresh child per run, skipping interpreter start-up.

The zygote imports everything a run needs once (no threads, no database connections, so forking
is safe), then waits for requests on a SOCK_SEQPACKET Unix socket. Each request carries the
`RunSpec` (as JSON) and, as passed file descriptors, the child's stdin/stdout/stderr pipes. The child starts a
new session (its own process group, killable as a whole), runs the spec in the run process's
module (`run_spec.RUN_PROCESS_MODULE`, the engine's, imported by name) and exits: a process is
never reused across runs. The zygote reports each child's pid and, when reaped, its exit code.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import socket
import subprocess
import sys
import threading
import traceback

from jupyter_orch.run_spec import RUN_PROCESS_MODULE, RunSpec

PRELOAD = (
    "sqlalchemy",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "httpx",
    "jupyter_orch.db.session",
    "jupyter_orch.orchestration.store.flow_runs",
    RUN_PROCESS_MODULE,  # the engine and what a flow run imports, ready before the fork
    "jupyter_orch.client.local",
    "jupyter_orch.client.http",
    "jupyter_orch.engine.flows",
    "jupyter_orch.db.models",
)
MAX_MSG = 1 << 20


def _preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            pass


def _warm_database() -> None:
    """Do once here what every run's process would otherwise do first (~0.1 s of CPU each):
    configure the ORM mappers, create the engine of the configured database and check its schema,
    compile the ORM's first statements. No connection survives (the pool is disposed), so forking
    stays safe; children inherit the engine, its statement cache and the schema check."""
    try:
        # heavy: SQLAlchemy, preloaded in the zygote only (the worker itself never loads it)
        from sqlalchemy import select
        from sqlalchemy.orm import configure_mappers

        from jupyter_orch.db.models import FlowRun

        configure_mappers()
        url = os.environ.get("JUPYTER_ORCH_DATABASE_URL")
        if not url or os.environ.get("JUPYTER_ORCH_API_URL"):
            return
        # heavy: SQLAlchemy, preloaded in the zygote only (the worker itself never loads it)
        from jupyter_orch.db.session import get_engine, read_scope

        try:
            with read_scope(url) as session:
                session.scalars(select(FlowRun).limit(1)).first()
        finally:
            get_engine(url).dispose()
    except Exception:
        pass


def _child(spec: RunSpec, fds: list[int], sock: socket.socket) -> None:
    os.setsid()
    sock.close()
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
    for fd in fds:
        os.close(fd)
    sys.stdin = os.fdopen(0, "r", closefd=False)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    code = 1
    try:
        # by name: the run process is the engine's, which the workers layer never imports
        run_process = importlib.import_module(RUN_PROCESS_MODULE)
        code = run_process.execute(spec, stdin=sys.stdin)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(fd: int) -> None:
    """The zygote's loop (runs in its own process)."""
    _preload()
    _warm_database()
    gc.collect()
    gc.freeze()  # children's collections skip what we imported: fewer copy-on-write page copies
    sock = socket.socket(fileno=fd)
    sock.send(b'{"ready": true}')
    children: set[int] = set()
    # poll, not select: the socket keeps the worker's descriptor number, past 1023 in a busy process
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    while True:
        if poller.poll(50):
            msg, fds, _flags, _addr = socket.recv_fds(sock, MAX_MSG, 3)
            if not msg:
                return  # the worker went away
            request = json.loads(msg)
            pid = os.fork()
            if pid == 0:
                _child(RunSpec.from_dict(request["spec"]), fds, sock)
            for f in fds:
                os.close(f)
            children.add(pid)
            sock.send(json.dumps({"req": request["req"], "pid": pid}).encode())
        while children:  # reap whichever children ended (one call each, not one per child)
            try:
                done, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not done:
                break
            children.discard(done)
            sock.send(json.dumps({"exit": done, "code": os.waitstatus_to_exitcode(status)}).encode())


class ForkServer:
    """The worker's handle on a zygote: `spawn(spec)` → (pid, stdin_w, stdout_r, stderr_r)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"from jupyter_orch.workers.forkserver import serve; serve({child.fileno()})",
            ],
            pass_fds=[child.fileno()],
            env=env,
            start_new_session=True,
        )
        child.close()
        self.sock = parent
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._pids: dict[int, int] = {}
        self.exit_codes: dict[int, int] = {}
        self._req = 0
        self._ready = False
        threading.Thread(target=self._read, name="forkserver-reader", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                msg = self.sock.recv(MAX_MSG)
            except OSError:
                msg = b""
            with self._cond:
                if not msg:
                    self._pids[-1] = -1  # closed: wake everyone
                    self._cond.notify_all()
                    return
                data = json.loads(msg)
                if "ready" in data:
                    self._ready = True
                elif "exit" in data:
                    self.exit_codes[data["exit"]] = data["code"]
                else:
                    self._pids[data["req"]] = data["pid"]
                self._cond.notify_all()

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """Block until the zygote has imported what runs need (True), or it exited / timed out."""
        with self._cond:
            return self._cond.wait_for(lambda: self._ready or -1 in self._pids, timeout) and self._ready

    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, spec: RunSpec, timeout: float = 10.0) -> tuple[int, int, int, int]:
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        with self._lock:
            self._req += 1
            req = self._req
            socket.send_fds(
                self.sock, [json.dumps({"req": req, "spec": spec.to_dict()}).encode()], [in_r, out_w, err_w]
            )
        for fd in (in_r, out_w, err_w):
            os.close(fd)
        with self._cond:
            if not self._cond.wait_for(lambda: req in self._pids or -1 in self._pids, timeout):
                raise RuntimeError("fork server did not answer")
            if req not in self._pids:
                raise RuntimeError("fork server exited")
            pid = self._pids.pop(req)
        return pid, in_w, out_r, err_r

    def close(self) -> None:
        try:
            # shut the connection down first: the reader thread blocked on this socket keeps it
            # open otherwise, the zygote never sees its end and `wait` ran out every time (5 s)
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
        finally:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
