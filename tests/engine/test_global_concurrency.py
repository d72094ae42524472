"""Global concurrency limits (Prefect's v2): created, read, changed and deleted through
PrefectClient as Prefect's; `concurrency()` holds slots counted on the limit and gives them back
however the block ends (a sync body's own time limit included); an inactive limit never waits;
`rate_limit()` takes slots that free themselves at the limit's decay rate."""

from __future__ import annotations

import asyncio
import time

import pytest

from jupyter_orch import flow, task
from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from jupyter_orch.concurrency.asyncio import concurrency as aconcurrency
from jupyter_orch.concurrency.asyncio import rate_limit as arate_limit
from jupyter_orch.concurrency.sync import AcquireConcurrencySlotTimeoutError, concurrency, rate_limit
from jupyter_orch.exceptions import ObjectNotFound


def test_client_methods_as_prefects(records):
    client = SyncPrefectClient()
    limit_id = client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="db", limit=2))
    read = client.read_global_concurrency_limit_by_name("db")
    assert read.id == limit_id and read.limit == 2 and read.active and read.active_slots == 0
    client.update_global_concurrency_limit("db", GlobalConcurrencyLimitUpdate(limit=5, active=False))
    read = client.read_global_concurrency_limit_by_name("db")
    assert read.limit == 5 and not read.active
    assert [lim.name for lim in client.read_global_concurrency_limits()] == ["db"]
    client.delete_global_concurrency_limit_by_name("db")
    with pytest.raises(ObjectNotFound):
        client.read_global_concurrency_limit_by_name("db")


def test_slots_are_counted_and_given_back_however_the_block_ends(records):
    client = SyncPrefectClient()
    client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="one", limit=1))
    with concurrency("one"):
        assert client.read_global_concurrency_limit_by_name("one").active_slots == 1
        with pytest.raises(AcquireConcurrencySlotTimeoutError), concurrency("one", timeout_seconds=0.2):
            pass
    with pytest.raises(RuntimeError), concurrency(["one", "no-such-limit"]):
        raise RuntimeError("body fails")
    limit = client.read_global_concurrency_limit_by_name("one")
    assert limit.active_slots == 0 and limit.denied_slots >= 1


def test_a_timed_out_sync_task_gives_its_slot_back_at_once(records):
    client = SyncPrefectClient()
    client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="slow", limit=3))

    @task(timeout_seconds=0.3)
    def sleeps() -> None:
        with concurrency("slow"):
            time.sleep(5)

    @flow(timeout_seconds=0.3)
    async def async_sleeps() -> None:
        async with aconcurrency("slow"):
            await asyncio.sleep(5)

    began = time.monotonic()
    with pytest.raises(TimeoutError):
        sleeps()
    assert time.monotonic() - began < 4  # the sleep was interrupted, not waited out
    assert client.read_global_concurrency_limit_by_name("slow").active_slots == 0
    with pytest.raises(TimeoutError):
        asyncio.run(async_sleeps())
    assert client.read_global_concurrency_limit_by_name("slow").active_slots == 0


def test_inactive_limits_never_wait_and_rate_limits_decay(records):
    client = SyncPrefectClient()
    client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="off", limit=0, active=False))
    with concurrency("off", timeout_seconds=0.5):
        pass
    client.create_global_concurrency_limit(
        GlobalConcurrencyLimitCreate(name="api", limit=2, slot_decay_per_second=10)
    )
    rate_limit("api", occupy=2)
    assert client.read_global_concurrency_limit_by_name("api").active_slots >= 1
    began = time.monotonic()
    asyncio.run(arate_limit("api", occupy=2, timeout_seconds=5))  # waits for the slots to decay
    assert time.monotonic() - began > 0.05
