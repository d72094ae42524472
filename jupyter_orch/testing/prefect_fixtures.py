"""The fixtures Prefect's own test suite gives its tests, under Prefect's names, so tests written
for Prefect run here with their imports renamed: `prefect_client` / `sync_prefect_client` (this
process's client as Prefect's), `events_pipeline` (`await events_pipeline.process_events()`, or
`process_events(_sync=True)` in sync code: the engine's queued records are written, so reads see
them), `task_run` (a Pending run of a task in `flow_run`'s run), `flow_run` (a Pending run of a
flow "test-flow"), `session` (what `jupyter_orch.server.models` reads take, unused),
`use_hosted_api_server` (runs report in-process, as they do without a server),
`ignore_prefect_deprecation_warnings` (DeprecationWarnings silenced for the test, as Prefect's tests of
its legacy paths ask), `local_filesystem` (a `LocalFileSystem` on the test's `tmp_path`, saved as
"test-fs"), `deployment` (a
deployment of "test-flow"), `concurrency_limit_v2` (a global concurrency limit "my-limit" of 42 slots, as
`server.schemas.core.ConcurrencyLimitV2`), `work_pool` and `push_work_pool` (pools
"test-work-pool" and "test-push-work-pool", as `read_work_pool` answers them), `advance_time`
(the clock runs 1 us a reading, and jumps by what the test passes it: cache expiry without
sleeping)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jupyter_orch.client import get_client
from jupyter_orch.client.orchestration import PrefectClient, SyncPrefectClient
from jupyter_orch.client.schemas.actions import GlobalConcurrencyLimitCreate
from jupyter_orch.engine.flows import flow
from jupyter_orch.engine.tasks import task
from jupyter_orch.filesystems import LocalFileSystem
from jupyter_orch.server.schemas.core import ConcurrencyLimitV2
from jupyter_orch.states import utcnow
from jupyter_orch.types import _datetime


class EventsPipeline:
    """Prefect's test helper that makes what runs reported visible to reads."""

    def process_events(self, _sync: bool = False) -> Any:
        """Write what is queued; awaitable, or done at once with `_sync=True`."""
        get_client().flush()
        return None if _sync else _done()


async def _done() -> None:
    return None


@pytest.fixture
def prefect_client() -> PrefectClient:
    return PrefectClient()


@pytest.fixture
def sync_prefect_client() -> SyncPrefectClient:
    return SyncPrefectClient()


@pytest.fixture
def events_pipeline() -> EventsPipeline:
    return EventsPipeline()


@task
def _fixture_task() -> None:
    return None


@pytest.fixture
def task_run(flow_run: Any) -> Any:
    """A Pending run of a task in the `flow_run` fixture's flow run, as Prefect's suite has it."""
    return SyncPrefectClient().create_task_run(_fixture_task, flow_run.id, dynamic_key="0")


@flow(name="test-flow")
def _fixture_flow() -> None:
    return None


@pytest.fixture
def flow_run() -> Any:
    return SyncPrefectClient().create_flow_run(_fixture_flow)


class _Session:
    """What Prefect's `session` fixture gives tests to pass to `server.models` functions; those
    here write through their own transactions, so `await session.commit()` has nothing to do."""

    async def commit(self) -> None:
        return None

    async def rollback(self) -> None:
        return None


@pytest.fixture(name="session")
def db_session() -> _Session:
    return _Session()


@pytest.fixture
def use_hosted_api_server() -> Iterator[None]:
    yield None


@pytest.fixture
def local_filesystem(tmp_path: Path) -> LocalFileSystem:
    block = LocalFileSystem(basepath=str(tmp_path))
    block.save("test-fs", overwrite=True)
    return block


@pytest.fixture
def ignore_prefect_deprecation_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


@pytest.fixture
def concurrency_limit_v2() -> ConcurrencyLimitV2:
    client = SyncPrefectClient()
    client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="my-limit", limit=42))
    limit = client.read_global_concurrency_limit_by_name("my-limit")
    return ConcurrencyLimitV2(**limit.model_dump(exclude={"created", "updated"}))


@pytest.fixture
def deployment(flow_run: Any) -> Any:
    """A deployment of the flow "test-flow" (Prefect's fixture: its `id`, `name`, `flow_id`)."""
    import uuid  # here: only this fixture makes ids UUIDs

    row = SyncPrefectClient().orch.create_deployment({"flow_name": "test-flow", "name": "My Deployment"})
    return SimpleNamespace(**{**row, "id": uuid.UUID(row["id"]), "flow_id": uuid.UUID(row["flow_id"])})


def _pool(name: str) -> Any:
    get_client().post("work_pools", {"name": name})
    return SyncPrefectClient().read_work_pool(name)


@pytest.fixture
def work_pool() -> Any:
    return _pool("test-work-pool")


@pytest.fixture
def push_work_pool() -> Any:
    """Prefect's push pool (its runs start on a cloud service without a worker): here a process
    pool by that name, as no pool type runs without a worker."""
    return _pool("test-push-work-pool")


@pytest.fixture
def advance_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[timedelta], datetime]]:
    """Prefect's fixture: every module's binding of the clock (`utcnow`, `types._datetime.now`)
    reads a clock that starts now, moves 1 us a reading (so events stay ordered) and jumps by
    what the test passes; where a cache entry expires is where its run's expiration is
    compared, so the whole process has to agree on the time."""
    clock = [datetime.now(timezone.utc)]
    originals = {"now": _datetime.now, "utcnow": utcnow}
    real = {id(_datetime.now), *(id(m.utcnow) for m in _clock_modules() if hasattr(m, "utcnow"))}

    def advance(amount: timedelta) -> datetime:
        clock[0] += amount
        return clock[0]

    def nowish(tz: Any = None) -> datetime:
        advance(timedelta(microseconds=1))
        return clock[0] if tz is None else clock[0].astimezone(_datetime._zone(tz))

    for module in _clock_modules():
        for name in originals:
            if id(getattr(module, name, None)) in real:
                monkeypatch.setattr(module, name, nowish)
    yield advance
    monkeypatch.undo()
    for module in _clock_modules():  # imported during the test: bound the patched clock
        for name, original in originals.items():
            if getattr(module, name, None) is nowish:
                setattr(module, name, original)


def _clock_modules() -> list[Any]:
    return [m for n, m in list(sys.modules.items()) if n.startswith("jupyter_orch") and m is not None]
