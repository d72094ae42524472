"""`Flow.from_source` beyond a plain directory, as Prefect 3's: a git repository on this machine
(`file://` URL, cloned with `git`), a RunnerStorage object, a storage block with
`get_directory`; Prefect's `Runner` behind `flow.serve`; deployments read back through
Prefect's client. Runs recorded on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

import jupyter_orch
from jupyter_orch import flow
from jupyter_orch.blocks.core import Block
from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.client.schemas.schedules import CronSchedule
from jupyter_orch.entrypoints import load_entrypoint
from jupyter_orch.runner import Runner, run_deployment
from jupyter_orch.runner.storage import GitRepository, LocalStorage, create_storage_from_source
from jupyter_orch.types.entrypoint import EntrypointType

FLOWS = textwrap.dedent(
    """
    from jupyter_orch import flow

    @flow(name="from-git")
    def etl(n: int = 1) -> int:
        return 10 * n
    """
)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "etl.py").write_text(FLOWS)
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "flows")
    return root


def test_a_local_git_repository_is_cloned_deployed_and_run(orch_env: str, repo: Path, worker) -> None:
    etl = jupyter_orch.Flow.from_source(repo.as_uri(), "flows/etl.py:etl")
    assert isinstance(etl._storage, GitRepository) and etl.name == "from-git"
    clone = Path(etl._storage.destination)
    assert (clone / ".git").is_dir() and clone != repo  # a clone, not the repository itself
    dep_id = etl.deploy("nightly", work_pool_name="default", parameters={"n": 3}, print_next_steps=False)
    assert etl.with_options(name="renamed")._storage is etl._storage
    run = run_deployment("from-git/nightly", timeout=60)
    assert run.state.is_completed(), run.state
    assert run.deployment_id == dep_id or str(run.deployment_id) == dep_id


def test_storage_objects_blocks_and_what_is_refused(orch_env: str, tmp_path: Path) -> None:
    class CodeHere:
        """A RunnerStorage of our own: `pull_code` writes the file into the base path given."""

        def __init__(self) -> None:
            self.base = tmp_path

        def set_base_path(self, path: Path) -> None:
            self.base = path

        @property
        def destination(self) -> Path:
            return self.base

        async def pull_code(self) -> None:
            (self.base / "flows.py").write_text(FLOWS)

        def to_pull_step(self) -> dict:
            return {}

    storage = CodeHere()
    assert jupyter_orch.Flow.from_source(storage, "flows.py:etl")(2) == 20
    assert storage.base != tmp_path  # pulled into a directory of its own

    class CodeBlock(Block):
        code: str = FLOWS

        async def get_directory(self, local_path: str) -> None:
            (Path(local_path) / "flows.py").write_text(self.code)

    loaded = jupyter_orch.Flow.from_source(CodeBlock(), "flows.py:etl")
    assert loaded(4) == 40 and loaded.to_deployment("d").storage.block == CodeBlock()
    with pytest.raises(TypeError, match="Unsupported source type 'object'"):
        jupyter_orch.Flow.from_source(object(), "flows.py:etl")
    with pytest.raises(ValueError, match="remote sources"):
        create_storage_from_source("https://github.com/org/repo.git")
    assert create_storage_from_source(str(tmp_path)) == LocalStorage(tmp_path)


@flow(name="runner-flow")
def runner_flow() -> int:
    return 1


def test_runner_adds_deployments_read_back_through_prefects_client(orch_env: str) -> None:
    runner = Runner(name="r", limit=2)
    dep_id = runner.add_flow(runner_flow, "every-minute", cron="* * * * *", tags=["a"])
    read = SyncPrefectClient().read_deployment_by_name("runner-flow/every-minute")
    assert str(read.id) == dep_id and read.tags == ["a"]
    assert read.schedules[0].schedule == CronSchedule(cron="* * * * *")
    assert runner_flow.to_deployment("d", cron="* * * * *").schedules[0].schedule == CronSchedule("* * * * *")
    module_dep = runner_flow.to_deployment("mod", entrypoint_type=EntrypointType.MODULE_PATH)
    assert module_dep.entrypoint == f"{__name__}.runner_flow"
    module_dep.apply()  # the store takes Prefect's module path form
    assert load_entrypoint("textwrap.dedent", None) is textwrap.dedent
    assert runner_flow.to_deployment(__file__).name == "test_deploy_sources"  # Prefect's flow.serve(__file__)
    with pytest.raises(ValueError, match="Could not find work pool 'nope'"):
        runner_flow.deploy("x", work_pool_name="nope", print_next_steps=False)
