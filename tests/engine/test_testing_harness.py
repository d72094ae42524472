"""`jupyter_orch.testing`: the harness for users' tests (a throwaway database for the duration,
the environment restored after) and its pytest plugin, run as a user would in a real pytest."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jupyter_orch import flow
from jupyter_orch.testing import orch_test_harness
from jupyter_orch.testing.utilities import jupyter_orch_test_harness, prefect_test_harness

REPO = Path(__file__).resolve().parents[2]


@flow
def harnessed(x: int) -> int:
    return x + 1


def test_runs_inside_go_to_a_throwaway_database(records):
    outer_url = os.environ["JUPYTER_ORCH_DATABASE_URL"]
    with orch_test_harness() as harness:
        assert os.environ["JUPYTER_ORCH_DATABASE_URL"] == harness.database_url != outer_url
        assert harnessed(1) == 2
        from jupyter_orch.client import get_client

        get_client().flush()
        inner_file = Path(harness.database_url.removeprefix("sqlite:///"))
        assert inner_file.exists()
        runs = get_client().get("flow_runs", flow_name="harnessed")["items"]
        assert [r["state_type"] for r in runs] == ["COMPLETED"]
    assert not inner_file.exists()  # thrown away
    assert os.environ["JUPYTER_ORCH_DATABASE_URL"] == outer_url
    assert records.flow_runs(flow_name="harnessed") == []
    assert harnessed(2) == 3  # and the outer database is used again
    assert len(records.flow_runs(flow_name="harnessed")) == 1


def test_prefects_name_and_nesting(orch_env, monkeypatch):
    monkeypatch.setenv("JUPYTER_ORCH_API_URL", "http://127.0.0.1:9")  # a server the harness ignores
    with prefect_test_harness(server_startup_timeout=5) as outer:
        assert "JUPYTER_ORCH_API_URL" not in os.environ
        with orch_test_harness() as inner:
            assert inner.database_url != outer.database_url
            assert harnessed(5) == 6
        assert os.environ["JUPYTER_ORCH_DATABASE_URL"] == outer.database_url
    assert os.environ["JUPYTER_ORCH_API_URL"] == "http://127.0.0.1:9"
    assert jupyter_orch_test_harness is orch_test_harness  # Prefect's name after a blanket rename


def test_pytest_plugin_in_a_users_test_suite(tmp_path: Path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_user_flows.py").write_text(
        textwrap.dedent(
            """
            import os

            import pytest

            from jupyter_orch import flow, task
            from jupyter_orch.client import get_client


            @task
            def double(x):
                return 2 * x


            @flow
            def pipeline(n):
                return sum(double.map(range(n)).result())


            @pytest.fixture(autouse=True, scope="session")
            def everything_harnessed(orch_test_harness_session):
                yield


            def test_session_database(orch_test_harness_session):
                assert os.environ["JUPYTER_ORCH_DATABASE_URL"] == orch_test_harness_session.database_url
                assert pipeline(4) == 12


            def test_fresh_database_per_test(orch_test_harness):
                assert pipeline(3) == 6
                runs = get_client().get("flow_runs", flow_name="pipeline")["items"]
                assert len(runs) == 1 and runs[0]["state_type"] == "COMPLETED"
            """
        )
    )
    home = tmp_path / "real-home"
    proc = run_suite(suite, home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
    assert not (home / "orch.db").exists()  # nothing reached the real home


def test_async_tests_and_fixtures_run_without_an_asyncio_plugin(tmp_path: Path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_async_flows.py").write_text(
        textwrap.dedent(
            """
            import asyncio

            import pytest

            from jupyter_orch import flow, task

            order = []


            @task
            async def double(x):
                await asyncio.sleep(0)
                return 2 * x


            @flow
            async def pipeline(n):
                return sum(await asyncio.gather(*[double(i) for i in range(n)]))


            @pytest.fixture(scope="session")
            async def session_loop_id():
                return id(asyncio.get_running_loop())


            @pytest.fixture
            async def resource():
                order.append("setup")
                yield "thing"
                order.append("teardown")


            async def test_async_flow(orch_test_harness, resource, session_loop_id):
                assert resource == "thing"
                assert id(asyncio.get_running_loop()) == session_loop_id
                assert await pipeline(4) == 12


            class TestInAClass:
                async def test_method(self, resource):
                    assert order[-1] == "setup"


            def test_teardown_ran():
                assert order == ["setup", "teardown", "setup", "teardown"]


            async def test_failure_is_reported():
                raise AssertionError("async failure seen")
            """
        )
    )
    proc = run_suite(suite, tmp_path / "home", "-p", "no:asyncio")
    assert "1 failed, 3 passed" in proc.stdout, proc.stdout + proc.stderr
    assert "async failure seen" in proc.stdout


def run_suite(suite: Path, home: Path, *options: str) -> subprocess.CompletedProcess:
    """pytest on a user's suite in a fresh process, with the plugin and `home` as the real home."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env["JUPYTER_ORCH_HOME"] = str(home)  # where runs would go without the harness
    env.pop("JUPYTER_ORCH_DATABASE_URL", None)
    env.pop("JUPYTER_ORCH_API_URL", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *options,
            "-p",
            "jupyter_orch.testing.pytest_plugin",
        ],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_clear_database_empties_only_the_harness_database():
    from jupyter_orch import flow
    from jupyter_orch.client import get_client
    from jupyter_orch.testing.harness import OrchTestHarness, clear_database, orch_test_harness

    @flow
    def once() -> int:
        return 1

    with orch_test_harness() as info:
        once()
        get_client().flush()
        assert get_client().get("flow_runs")["items"]
        clear_database(OrchTestHarness(info.home / "elsewhere", info.database_url))  # not its home: no-op
        assert get_client().get("flow_runs")["items"]
        clear_database(info)
        assert get_client().get("flow_runs")["items"] == []
        once()  # the schema is still there
        assert len(get_client().get("flow_runs")["items"]) == 1


def test_the_harness_ends_cleanly_when_its_directory_cannot_be_removed_yet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run still finishing in another thread may write into the home as the block ends."""
    real_rmdir = os.rmdir

    def busy(path: str, *args: object, **kwargs: object) -> None:
        if "jupyter-orch-test-" in str(path):
            raise OSError(39, "Directory not empty", str(path))
        real_rmdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", busy)
    with orch_test_harness() as info:
        (info.home / "late.txt").write_text("written as the block ends")
