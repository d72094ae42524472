"""The run process's end of the pipe its worker holds (the worker's end: `executors.RunHandle`).

A run process dies with its worker (`watch_parent`), a prepared one waits behind the gate of its
start time (`pass_gate`, opened by `executors.Gates`) and then reads its release
(`wait_for_release`). The worker's protocol, kept in the workers layer; the run process
(`jupyter_orch.engine.run_process`) calls it.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import threading
from typing import Any


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
