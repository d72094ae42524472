"""pytest fixtures for users' tests of their flows (enable with `-p jupyter_orch.testing.pytest_plugin`
or `pytest_plugins = ["jupyter_orch.testing.pytest_plugin"]` in a root conftest.py; installed
packages load it by themselves):

- `orch_test_harness`: a fresh throwaway database for one test;
- `orch_test_harness_session`: one for the whole session (use it from an autouse fixture of
  your own to cover every test, as Prefect's docs do with `prefect_test_harness`).

Both yield an `OrchTestHarness` (its `home` and `database_url`). When the environment names no
database, home or server (`JUPYTER_ORCH_DATABASE_URL`, `JUPYTER_ORCH_HOME`,
`JUPYTER_ORCH_API_URL`), the whole session runs in one throwaway harness, so tests never write
the user's real runs. The fixtures Prefect's own suite offers (`prefect_client`, ...) come from
`prefect_fixtures` (`advance_time` too); `client` and `sync_client`, httpx clients of the API in this process
(`await client.get(f"/artifacts/{id}")`), from `api_client`."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from jupyter_orch.settings import API_URL_ENV, DATABASE_URL_ENV, HOME_ENV
from jupyter_orch.testing import async_tests as _async_tests
from jupyter_orch.testing import harness as _harness
from jupyter_orch.testing.api_client import client, sync_client  # noqa: F401 - fixtures offered here
from jupyter_orch.testing.prefect_fixtures import (  # noqa: F401 - fixtures this plugin offers
    advance_time,
    concurrency_limit_v2,
    db_session,
    deployment,
    events_pipeline,
    flow_run,
    ignore_prefect_deprecation_warnings,
    local_filesystem,
    prefect_client,
    push_work_pool,
    sync_prefect_client,
    task_run,
    use_hosted_api_server,
    work_pool,
)


@pytest.fixture
def orch_test_harness() -> Iterator[_harness.OrchTestHarness]:
    with _harness.orch_test_harness() as info:
        yield info


@pytest.fixture(scope="session")
def orch_test_harness_session() -> Iterator[_harness.OrchTestHarness]:
    with _harness.orch_test_harness() as info:
        yield info


@pytest.fixture(scope="session", autouse=True)
def _orch_private_home() -> Iterator[_harness.OrchTestHarness | None]:
    """A throwaway harness for the session unless the environment chose where runs go."""
    if any(os.environ.get(name) for name in (HOME_ENV, DATABASE_URL_ENV, API_URL_ENV)):
        yield None
        return
    with _harness.orch_test_harness() as info:
        yield info


@pytest.fixture(autouse=True)
def _orch_clear_private_home(_orch_private_home: _harness.OrchTestHarness | None) -> Iterator[None]:
    """After each test, the session's throwaway database is emptied (never one the user chose)."""
    yield
    if _orch_private_home is not None:
        _harness.clear_database(_orch_private_home)


# -- coroutine tests without an asyncio plugin (see async_tests) ---------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    return True if _async_tests.run_test(pyfuncitem) else None


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest) -> None:
    _async_tests.adapt_fixture(fixturedef, request.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _async_tests.close_loop()
