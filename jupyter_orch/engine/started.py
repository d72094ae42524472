"""Prefect's engine objects expose `engine.client` only between the start and the end of a run
(`with engine.initialize_run():`, or `async with` for the async engine); before and after, asking
for it is a RuntimeError. Here one engine class runs sync and async task runs, so the same object
gives Prefect's sync client under `with` and its async client under `async with`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_orch.engine.hooks import flow_run_view


def started_client(engine: Any) -> Any:
    """The client `initialize_run()` gave `engine`, or RuntimeError (Prefect's "not started")."""
    client = getattr(engine, "_prefect_client", None)
    if client is None:
        raise RuntimeError("Engine has not started.")
    return client


class Started:
    """`engine.initialize_run()`: gives the engine its client while the block runs."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def _start(self, client: Any) -> Any:
        self.engine._prefect_client = client
        return self.engine

    def __enter__(self) -> Any:
        # Prefect's client classes stand above the engine: imported when a run is initialized
        from jupyter_orch.client.orchestration import SyncPrefectClient

        return self._start(SyncPrefectClient())

    def __exit__(self, *exc: object) -> None:
        self.engine._prefect_client = None

    async def __aenter__(self) -> Any:
        # see __enter__
        from jupyter_orch.client.orchestration import PrefectClient

        return self._start(PrefectClient())

    async def __aexit__(self, *exc: object) -> None:
        self.engine._prefect_client = None


class PrefectEngineMethods:
    """Prefect's `FlowRunEngine` surface over the flow engine (which this stands below):
    `client` once started, `initialize_run()`, `start()` and `flow_run`."""

    client = property(started_client)

    def initialize_run(self: Any) -> Started:
        """Prefect's: `with engine.initialize_run():` (or `async with`) gives `client`."""
        return Started(self)

    @contextmanager
    def start(self: Any) -> Iterator[None]:
        """Prefect's: the run recorded (or the `flow_run=` given adopted) and its context entered,
        not yet RUNNING (`begin_run()` is)."""
        with self.initialize_run():
            params, error = self._bind()
            if error is not None:
                raise error
            self._record(self._adopt(self.adopt_id, None)[0] if self.adopt_id else self._create(None, params))
            tokens = self._enter()
            try:
                yield
            finally:
                self._exit(tokens)

    @property
    def flow_run(self: Any) -> Any:
        """The run as Prefect's `FlowRun` (its id, name, parameters, empirical policy, ...)."""
        return flow_run_view(self)


__all__ = ["PrefectEngineMethods", "Started", "started_client"]
