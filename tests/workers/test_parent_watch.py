"""A run's process group ends when its worker's end of the stdin pipe closes (`watch_parent`)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

CHILD = """
import subprocess, sys, time
from jupyter_orch.workers.process_pipe import watch_parent
sys.stdin.readline()
time.sleep(float(sys.argv[1]))
watch_parent(sys.stdin)
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(grandchild.pid, flush=True)
time.sleep(60)
"""


def _run(delay: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as the worker starts a run: its own process group
    )


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_closing_the_pipe_ends_the_run_and_its_children() -> None:
    proc = _run(0)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("{}\n")
    proc.stdin.flush()
    grandchild = int(proc.stdout.readline())
    time.sleep(0.3)
    assert proc.poll() is None and not _gone(grandchild, 0)  # nothing happens while the pipe is open
    proc.stdin.close()  # the worker died
    assert proc.wait(timeout=10) == -signal.SIGIO
    assert _gone(grandchild, 10)


def test_a_pipe_closed_before_watching_ends_the_run_at_once() -> None:
    proc = _run(0.5)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("{}\n")
    proc.stdin.flush()
    proc.stdin.close()  # before the run starts watching
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert proc.stdout.read() == ""  # it never went on to start its work


def test_the_watch_costs_no_thread() -> None:
    code = (
        "import sys, threading; from jupyter_orch.workers.process_pipe import watch_parent; "
        "watch_parent(sys.stdin); print(threading.active_count())"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    out = proc.stdout.readline()
    proc.stdin.close()
    proc.wait(timeout=10)
    assert out.strip() == "1"
