"""Follow a flow run until it ends, with a tqdm bar: cell n of m for a notebook run, otherwise the
run's state as it moves (Scheduled → Pending → Running → Completed)."""

from __future__ import annotations

import time
from typing import Any

from jupyter_orch.cli.app import Context
from jupyter_orch.client.events import EventWatcher

FINAL = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


def watch_run(
    ctx: Context, run_id: str, interval: float = 0.5, timeout: float | None = None
) -> dict[str, Any]:
    """Poll the run until it is final (or `timeout` passes); returns its last read."""
    # optional: a progress bar only when tqdm is installed
    from tqdm import tqdm

    deadline = None if timeout is None else time.monotonic() + timeout
    bar = tqdm(total=None, file=ctx.stderr, unit="cell", dynamic_ncols=True, leave=True)
    watcher = EventWatcher(kinds=["flow_run"], flow_run_id=run_id)  # wakes on each state change
    watcher.ready()
    try:
        while True:
            run = ctx.client.get(f"flow_runs/{run_id}")
            progress = run.get("progress") or {}
            cells = progress.get("cells") if isinstance(progress, dict) else None
            if cells:
                bar.total = cells
                bar.n = min(int(progress.get("cell") or 0), cells)
            bar.set_description_str(f"{run['name']}: {run.get('state_name') or run.get('state_type')}")
            bar.refresh()
            if run.get("state_type") in FINAL:
                if cells and run["state_type"] == "COMPLETED":
                    bar.n = cells
                    bar.refresh()
                return run
            if deadline is not None and time.monotonic() >= deadline:
                return run
            watcher.wait(interval)
    finally:
        watcher.close()
        bar.close()
