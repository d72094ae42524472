"""`.map` with a failed upstream under `allow_failure` (Prefect's): passed to every mapped run as
its exception, instead of failing the `.map` call itself. Runs recorded on SQLite and PostgreSQL."""

from __future__ import annotations

from jupyter_orch import allow_failure, flow, task


def test_map_passes_a_failed_upstream_under_allow_failure_to_each_run(records):
    @task
    def boom() -> int:
        raise ValueError("upstream broke")

    @task
    def pair(y: int, z: object) -> tuple[int, str]:
        return y, type(z).__name__

    @flow
    def mapped_tolerant():
        upstream = boom.submit()
        return pair.map([1, 2, 3], allow_failure(upstream)).result()

    assert mapped_tolerant() == [(1, "ValueError"), (2, "ValueError"), (3, "ValueError")]
    run = records.only_flow_run("mapped-tolerant")
    states = sorted((t["name"], t["state_type"]) for t in records.task_runs(run["id"]))
    assert states == [("boom-0", "FAILED")] + [(f"pair-{i}", "COMPLETED") for i in range(3)]
