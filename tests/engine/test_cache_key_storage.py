"""`cache_policy.configure(key_storage=...)`: a record of each cached run is written there (as
Prefect's result metadata, naming where the value is stored); the keys stay in the run database,
and a second call is a cache hit."""

from __future__ import annotations

import json
from pathlib import Path

from jupyter_orch import flow, task
from jupyter_orch.cache_policies import INPUTS


def test_key_storage_holds_the_cached_values(records, tmp_path: Path):
    store = tmp_path / "cache-records"
    calls = []

    @task(cache_policy=INPUTS.configure(key_storage=store))
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    @flow
    def squares() -> list[int]:
        return [square(3), square(3)]

    assert squares() == [9, 9]
    assert squares() == [9, 9]
    assert calls == [3]
    records_written = [p for p in store.rglob("*") if p.is_file()]
    assert len(records_written) == 1, "one record for the one key"
    record = json.loads(records_written[0].read_text())
    assert Path(record["storage_key"]).is_file() and record["prefect_version"]  # the value: results
    run = records.flow_runs(flow_name="squares")[0]
    names = sorted(tr["state_name"] for tr in records.task_runs(flow_run_id=run["id"]))
    assert names == ["Cached", "Cached"]
    assert INPUTS.key_storage is None  # configure() returned a copy
