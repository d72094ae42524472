"""Prefect's `Runner` (`prefect.runner.Runner`): the object behind `flow.serve(...)`.

Deployments are added (and so created or updated, which answers their ids at once, as Prefect's)
and `await runner.start()` runs their runs in this process until interrupted, through `serve`.
Prefect code that builds a Runner itself (`Runner(limit=...)`, `add_flow`, `start`) keeps working;
the options without a counterpart here (`query_seconds`, `heartbeat_seconds`, ...) are taken.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import threading
from typing import Any

from jupyter_orch.client import new_client
from jupyter_orch.runner.deployment import RunnerDeployment
from jupyter_orch.runner.serve import serve_applied


def _answer(value: Any) -> Any:
    """`value`, or an awaitable of it when the method's caller is a coroutine (Prefect's
    sync-compatible methods; utilities.asyncutils has the same, a layer above the runner)."""
    if sys._getframe(2).f_code.co_flags & (inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR):
        return _awaitable(value)
    return value


async def _awaitable(value: Any) -> Any:
    return value


def serve_message(flow_name: str, name: str) -> str:
    """What `flow.serve(...)` prints as it starts (Prefect's first sentence, our command)."""
    return (
        f"Your flow {flow_name!r} is being served and polling for scheduled runs!\n\n"
        "To trigger a run for this flow, use the following command:\n\n"
        f"        $ jupyter orch deployment run '{flow_name}/{name}'\n"
    )


class Runner:
    """Serves deployments in this process: `add_deployment` / `add_flow`, then `start()`."""

    def __init__(
        self,
        name: str | None = None,
        query_seconds: float | None = None,
        prefetch_seconds: float = 10,
        heartbeat_seconds: float | None = None,
        limit: int | None = None,
        pause_on_shutdown: bool = True,
        webserver: bool = False,
        **_prefect_options: Any,
    ) -> None:
        self.name = name or "runner"
        self.query_seconds = query_seconds or 0.5
        self.limit = limit
        self.pause_on_shutdown = pause_on_shutdown
        self.webserver = webserver
        self._deployments: list[RunnerDeployment] = []
        self._ids: list[str] = []
        self._client: Any = None

    def add_deployment(self, deployment: RunnerDeployment) -> Any:
        """Create or update `deployment` and serve it once started; its id (awaitable from a
        coroutine, as Prefect's)."""
        if self._client is None:
            self._client = new_client()
        dep_id = deployment.apply(self._client)
        self._deployments.append(deployment)
        self._ids.append(dep_id)
        return _answer(dep_id)

    def add_flow(self, flow: Any, name: str | None = None, **options: Any) -> Any:
        """`add_deployment(flow.to_deployment(name, **options))` (Prefect's)."""
        dep_id = self.add_deployment(flow.to_deployment(name or flow.name, **options))
        return _answer(dep_id)

    async def start(self, run_once: bool = False, webserver: bool | None = None) -> None:
        """Run the added deployments' runs here until interrupted or cancelled (in a thread, so
        the caller's loop keeps running); then their schedules pause unless `pause_on_shutdown`
        is False. `run_once` and `webserver` are Prefect's and taken."""
        client = self._client or new_client()
        stop = threading.Event()
        try:
            await asyncio.to_thread(
                serve_applied,
                client,
                tuple(self._deployments),
                list(self._ids),
                poll_interval=self.query_seconds,
                limit=self.limit,
                pause_on_shutdown=self.pause_on_shutdown,
                stop=stop,
            )
        except BaseException:
            # cancelled (Ctrl-C under asyncio.run cancels this task): the serving thread stops,
            # pausing schedules as asked, before the loop's executor is shut down
            stop.set()
            raise


__all__ = ["Runner", "serve_message"]
