"""pytest fixtures for users' tests of their flows (enable with `-p jupyter_orch.testing.pytest_plugin`
or `pytest_plugins = ["jupyter_orch.testing.pytest_plugin"]` in a root conftest.py; installed
packages load it by themselves):

- `orch_test_harness`: a fresh throwaway database for one test;
- `orch_test_harness_session`: one for the whole session (use it from an autouse fixture of
  your own to cover every test, as Prefect's docs do with `prefect_test_harness`).

Both yield an `OrchTestHarness` (its `home` and `database_url`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jupyter_orch.testing import async_tests as _async_tests
from jupyter_orch.testing import harness as _harness


@pytest.fixture
def orch_test_harness() -> Iterator[_harness.OrchTestHarness]:
    with _harness.orch_test_harness() as info:
        yield info


@pytest.fixture(scope="session")
def orch_test_harness_session() -> Iterator[_harness.OrchTestHarness]:
    with _harness.orch_test_harness() as info:
        yield info


# -- coroutine tests without an asyncio plugin (see async_tests) ---------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    return True if _async_tests.run_test(pyfuncitem) else None


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest) -> None:
    _async_tests.adapt_fixture(fixturedef, request.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _async_tests.close_loop()
