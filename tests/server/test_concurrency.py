"""Two workers claiming the same run at once over HTTP: exactly one wins, on both backends."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.postgres

RUNS = 200


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def test_competing_pending_claims(api):
    past = (datetime.now(timezone.utc) - timedelta(seconds=5)).isoformat()
    created = await asyncio.gather(
        *[
            api(
                "POST",
                "flow_runs",
                body={"flow_name": "claimed", "state": {"type": "SCHEDULED", "scheduled_time": past}},
            )
            for _ in range(RUNS)
        ]
    )
    ids = [run["id"] for status, run in created if status == 201]
    assert len(ids) == RUNS

    claim = {"state": {"type": "PENDING", "message": "claimed"}}
    answers = await asyncio.gather(
        *[api("POST", f"flow_runs/{run_id}/set_state", body=claim) for run_id in ids for _ in range(2)]
    )
    assert {status for status, _ in answers} == {200}
    assert Counter(body["status"] for _, body in answers) == {"ACCEPT": RUNS, "ABORT": RUNS}
    for i, run_id in enumerate(ids):  # one of each pair won
        pair = {answers[2 * i][1]["status"], answers[2 * i + 1][1]["status"]}
        assert pair == {"ACCEPT", "ABORT"}, run_id
    # the history holds exactly one PENDING per run
    status, states = await api("GET", f"flow_runs/{ids[0]}/states")
    assert [s["type"] for s in states] == ["SCHEDULED", "PENDING"]
