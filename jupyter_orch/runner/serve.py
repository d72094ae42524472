"""`serve(*deployments)`: the no-infrastructure path (like Prefect's).

It registers the deployments and runs a worker for exactly them in this process, plus a
(lease-guarded, so harmless beside a server) scheduler when talking to the database directly.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from jupyter_orch.client import new_client
from jupyter_orch.runner.deployment import RunnerDeployment
from jupyter_orch.services import ServiceSettings, build
from jupyter_orch.workers.worker import Worker


def _serve_services(url: str) -> ServiceSettings:
    """`serve()`'s services on the database: scheduling, late runs and crash detection; its own
    workers run the runs, a server (if any) sends the notifications."""
    return ServiceSettings(
        url, scheduler_interval=5.0, heartbeat_timeout=30.0, local_worker=False, notifications=False
    )


def _launch_services(client: Any) -> list[Any]:
    """Start `serve()`'s services when it talks to the database (over HTTP the server runs them)."""
    if client.mode != "local":
        return []
    url = client.transport.database_url
    services = [s for s in build(_serve_services(url)).values() if s is not None]
    for service in services:
        service.launch()
    return services


def serve(
    *deployments: RunnerDeployment,
    poll_interval: float = 0.5,
    limit: int | None = None,
    pause_on_shutdown: bool = True,
    **_prefect_options: Any,
) -> None:
    """Apply the deployments and run their runs here until interrupted (Ctrl-C); then, as Prefect's,
    the schedules of those that have any pause, unless `pause_on_shutdown=False` (a process that is
    restarted keeps them). Prefect's other options (`print_starting_message`, ...) are taken."""
    client = new_client()
    ids = [d.apply(client) for d in deployments]
    serve_applied(client, deployments, ids, poll_interval, limit, pause_on_shutdown)


def serve_applied(
    client: Any,
    deployments: tuple[RunnerDeployment, ...],
    ids: list[str],
    poll_interval: float = 0.5,
    limit: int | None = None,
    pause_on_shutdown: bool = True,
    stop: threading.Event | None = None,
) -> None:
    """`serve` of deployments already created (their `ids`): what `Runner.start` runs. It ends on
    Ctrl-C in this thread or when `stop` is set (from another thread)."""
    pools = {d.work_pool_name or "default" for d in deployments}
    services = _launch_services(client)
    stop = stop or threading.Event()
    workers = [
        Worker(pool=p, client=client, poll_interval=poll_interval, limit=limit, deployment_ids=ids)
        for p in sorted(pools)
    ]
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    names = ", ".join(d.full_name for d in deployments)
    try:
        print(f"Serving {names}. Press Ctrl-C to stop.", flush=True)
        while any(t.is_alive() for t in threads) and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        for service in services:
            service.halt()
        if pause_on_shutdown:
            _pause_schedules(client, deployments, ids)


def _pause_schedules(client: Any, deployments: tuple[RunnerDeployment, ...], ids: list[str]) -> None:
    """Pause the schedules of the served deployments that have any (Prefect's `pause_on_shutdown`)."""
    for dep, dep_id in zip(deployments, ids, strict=True):
        if dep.schedules:
            client.post(f"deployments/{dep_id}/pause")


async def aserve(
    *deployments: RunnerDeployment,
    poll_interval: float = 0.5,
    limit: int | None = None,
    pause_on_shutdown: bool = True,
    **_prefect_options: Any,
) -> None:
    """`await aserve(...)`: `serve` from async code (Prefect's `aserve`); it runs until cancelled
    or interrupted, in a thread so the caller's event loop keeps running."""
    await asyncio.to_thread(
        serve, *deployments, poll_interval=poll_interval, limit=limit, pause_on_shutdown=pause_on_shutdown
    )
