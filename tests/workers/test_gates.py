"""The start-time gates prepared processes wait behind until their worker has written every answer."""

from __future__ import annotations

import subprocess
import sys
import time

from jupyter_orch.workers.executors import Gates

WAITER = (
    "import sys; from jupyter_orch.workers.process_pipe import pass_gate; "
    "pass_gate(sys.argv[1]); print('through')"
)


def _waiter(path: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WAITER, path], stdout=subprocess.PIPE, text=True)


def test_processes_wait_until_their_start_time_gate_opens() -> None:
    gates = Gates()
    early, late = time.time() + 10, time.time() + 20
    first = [_waiter(gates.gate(early)) for _ in range(3)]
    second = _waiter(gates.gate(late))
    assert gates.gate(early) == gates.gate(early)  # one gate per start time
    time.sleep(1.0)
    assert all(p.poll() is None for p in [*first, second])  # all behind closed gates

    gates.open(until=early)
    for p in first:
        assert p.communicate(timeout=20)[0].strip() == "through"
    time.sleep(0.5)
    assert second.poll() is None  # a later start time's gate is still closed

    gates.open()
    assert second.communicate(timeout=20)[0].strip() == "through"


def test_a_gate_that_is_gone_is_open() -> None:
    gates = Gates()
    path = gates.gate(time.time())
    gates.open()
    p = _waiter(path)
    assert p.communicate(timeout=20)[0].strip() == "through"


def test_a_gate_opens_when_its_worker_dies() -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import time; from jupyter_orch.workers.executors import Gates; "
         "print(Gates().gate(time.time() + 60), flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None
    path = holder.stdout.readline().strip()
    waiter = _waiter(path)
    time.sleep(1.0)
    assert waiter.poll() is None
    holder.kill()  # the kernel drops the dead worker's lock
    holder.wait()
    assert waiter.communicate(timeout=20)[0].strip() == "through"
