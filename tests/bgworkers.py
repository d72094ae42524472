"""Task worker processes for background-task tests (tests/engine and tests/server): a module of
tasks both sides import (so task keys match), workers started as real processes, stopped with
Ctrl-C (SIGINT) as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

DEADLINE = 120

TASKS_MODULE = """
import os

from jupyter_orch import task


@task
def where(i: int) -> tuple[int, int]:
    return i, os.getpid()
"""


def start_worker(module_dir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        """
        import signal

        # a shell's background job (CI, nohup, `&`) starts with SIGINT ignored, and Python then
        # installs no KeyboardInterrupt handler: restore it so Ctrl-C stops the worker here too
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import bgtasks
        from jupyter_orch.task_worker import serve
        print("SERVING", flush=True)
        serve(bgtasks.where, limit=3)
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=module_dir, env=env, stdout=subprocess.PIPE, text=True
    )


def worker_env(module_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    path = os.pathsep.join(
        [str(module_dir), str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    )
    return {**os.environ, **extra, "PYTHONPATH": path}


def run_with_two_worker_processes(
    module_dir: Path, env: dict[str, str], count: int = 12
) -> list[tuple[int, int]]:
    """Two task worker processes serve one task; `count` runs scheduled from here each run once."""
    (module_dir / "bgtasks.py").write_text(TASKS_MODULE)
    sys.path.insert(0, str(module_dir))
    workers = [start_worker(module_dir, env) for _ in range(2)]
    try:
        for proc in workers:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "SERVING"
        import bgtasks  # the same task key as in the workers

        futures = [bgtasks.where.delay(i) for i in range(count)]
        return [f.result(timeout=DEADLINE) for f in futures]
    finally:
        sys.path.remove(str(module_dir))
        sys.modules.pop("bgtasks", None)
        for proc in workers:
            proc.send_signal(signal.SIGINT)  # a worker stops gracefully on Ctrl-C
        for proc in workers:
            assert proc.wait(timeout=60) == 0
