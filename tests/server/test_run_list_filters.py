"""The Runs page's list filters over real HTTP, on SQLite and PostgreSQL: name search, several
states at once, a date range, and upcoming runs sorted soonest first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.postgres


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def new_run(api, **body):
    body.setdefault("flow_name", "etl")
    status, run = await api("POST", "flow_runs", body=body)
    assert status == 201, run
    return run


def scheduled(at: datetime) -> dict:
    return {"type": "SCHEDULED", "scheduled_time": at.isoformat()}


async def names(api, **params) -> list[str]:
    status, page = await api("GET", "flow_runs", params=params)
    assert status == 200, page
    return [r["name"] for r in page["items"]]


async def test_name_search_is_a_case_insensitive_substring(api):
    for name in ("Nightly-ETL", "nightly_report", "weekly-etl", "100%-done"):
        await new_run(api, name=name)
    assert sorted(await names(api, name_like="etl")) == ["Nightly-ETL", "weekly-etl"]
    assert sorted(await names(api, name_like="NIGHTLY")) == ["Nightly-ETL", "nightly_report"]
    # LIKE wildcards in the search text are taken literally
    assert await names(api, name_like="%") == ["100%-done"]
    assert await names(api, name_like="y_r") == ["nightly_report"]
    assert await names(api, name_like="zzz") == []


async def test_several_states_and_a_name_together(api):
    a = await new_run(api, name="load-a")
    b = await new_run(api, name="load-b")
    c = await new_run(api, name="other-c")
    await api("POST", f"flow_runs/{a['id']}/set_state", body={"state": {"type": "RUNNING"}})
    await api("POST", f"flow_runs/{b['id']}/set_state", body={"state": {"type": "RUNNING"}})
    await api("POST", f"flow_runs/{b['id']}/set_state", body={"state": {"type": "FAILED"}})
    await api("POST", f"flow_runs/{c['id']}/set_state", body={"state": {"type": "RUNNING"}})
    got = await names(api, state_type=["RUNNING", "FAILED"], name_like="load")
    assert sorted(got) == ["load-a", "load-b"]
    assert await names(api, state_type=["FAILED", "COMPLETED"], name_like="load") == ["load-b"]


async def test_date_range(api):
    now = datetime.now(timezone.utc)
    for days in (1, 3, 5):
        await new_run(api, name=f"in-{days}d", state=scheduled(now + timedelta(days=days)))
    got = await names(
        api,
        start_after=(now + timedelta(days=2)).isoformat(),
        start_before=(now + timedelta(days=4)).isoformat(),
    )
    assert got == ["in-3d"]


async def test_upcoming_runs_soonest_first_across_pages(api):
    now = datetime.now(timezone.utc)
    for hours in (5, 1, 4, 2, 3):
        await new_run(api, name=f"in-{hours}h", state=scheduled(now + timedelta(hours=hours)))
    await new_run(api, name="not-scheduled")  # PENDING, left out by the state filter
    seen: list[str] = []
    params = {"state_type": "SCHEDULED", "sort": "expected_start_time", "limit": "2"}
    status, page = await api("GET", "flow_runs", params=params)
    seen += [r["name"] for r in page["items"]]
    while page["next"]:
        status, page = await api("GET", "flow_runs", params={**params, "cursor": page["next"]})
        assert status == 200, page
        seen += [r["name"] for r in page["items"]]
    assert seen == ["in-1h", "in-2h", "in-3h", "in-4h", "in-5h"]


async def test_a_bad_sort_names_the_field(api):
    status, body = await api("GET", "flow_runs", params={"sort": "colour"})
    assert status == 422 and body["field"] == "sort", body
