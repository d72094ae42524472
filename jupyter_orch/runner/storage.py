"""Prefect's `prefect.runner.storage`: where `Flow.from_source` finds a flow's code.

A source is a local directory (`LocalStorage`, used in place), a git repository reachable without
a network (`GitRepository` of a `file://` URL or a local repository path ending in `.git`, cloned
with the `git` command), a block with `get_directory` (Prefect's storage blocks), or any object of
the `RunnerStorage` shape (`set_base_path`, `pull_code`, `destination`). A remote URL (https, ssh,
s3, ...) is refused with a clear error: runs here never fetch code over the network.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

_REMOTE = ("://", "git@")


@runtime_checkable
class RunnerStorage(Protocol):
    """Where a deployment's code lives: `destination` is the local directory holding it."""

    @property
    def destination(self) -> Path: ...

    def set_base_path(self, path: Path) -> None: ...

    async def pull_code(self) -> None: ...

    def to_pull_step(self) -> dict[str, Any]: ...


class LocalStorage:
    """Code already on this machine, used where it is (never copied or pulled)."""

    def __init__(self, path: str | Path, pull_interval: int | None = None) -> None:
        self._path = Path(path).expanduser().resolve()
        self.pull_interval = pull_interval

    @property
    def destination(self) -> Path:
        return self._path

    def set_base_path(self, path: Path) -> None:
        """Nothing to do: local code stays where it is."""

    async def pull_code(self) -> None:
        """Nothing to pull."""

    def to_pull_step(self) -> dict[str, Any]:
        return {"prefect.deployments.steps.set_working_directory": {"directory": str(self._path)}}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalStorage) and other._path == self._path

    def __repr__(self) -> str:
        return f"LocalStorage(path={str(self._path)!r})"


class GitRepository:
    """A git repository on this machine (`file://...` or a local path), cloned with `git`."""

    def __init__(
        self,
        url: str,
        branch: str | None = None,
        name: str | None = None,
        pull_interval: int | None = 60,
        **_prefect_options: Any,
    ) -> None:
        if url.startswith("git@") or ("://" in url and not url.startswith("file://")):
            raise ValueError(_remote_refusal(url))
        self.url = url
        self.branch = branch
        self.pull_interval = pull_interval
        self._name = name or Path(url.removeprefix("file://").rstrip("/")).name.removesuffix(".git")
        self._base_path = Path.cwd()

    @property
    def destination(self) -> Path:
        return self._base_path / self._name

    def set_base_path(self, path: Path) -> None:
        self._base_path = Path(path)

    async def pull_code(self) -> None:
        """Clone the repository (or fetch and reset an existing clone) into `destination`."""
        await asyncio.to_thread(self._pull)

    def _pull(self) -> None:
        if (self.destination / ".git").exists():
            _git("-C", str(self.destination), "pull", "--ff-only")
            return
        branch = ["--branch", self.branch] if self.branch else []
        _git("clone", "--depth", "1", *branch, self.url, str(self.destination))

    def to_pull_step(self) -> dict[str, Any]:
        step: dict[str, Any] = {"repository": self.url}
        if self.branch:
            step["branch"] = self.branch
        return {"prefect.deployments.steps.git_clone": step}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GitRepository) and (other.url, other.branch) == (self.url, self.branch)

    def __repr__(self) -> str:
        return f"GitRepository(url={self.url!r}, branch={self.branch!r})"


class BlockStorageAdapter:
    """A storage block (anything with `get_directory`) as a RunnerStorage (Prefect's)."""

    def __init__(self, block: Any, pull_interval: int | None = 60) -> None:
        self.block = block
        self.pull_interval = pull_interval
        self._base_path = Path.cwd()

    @property
    def destination(self) -> Path:
        return self._base_path

    def set_base_path(self, path: Path) -> None:
        self._base_path = Path(path)

    async def pull_code(self) -> None:
        result = self.block.get_directory(local_path=str(self.destination))
        if asyncio.iscoroutine(result):
            await result

    def to_pull_step(self) -> dict[str, Any]:
        return {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BlockStorageAdapter) and other.block == self.block


def _git(*args: str) -> None:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")


def _remote_refusal(source: str) -> str:
    return (
        f"from_source({source!r}): remote sources (https/ssh git, s3, ...) are not supported: "
        "clone or copy it to this machine and pass that directory, or a file:// git URL"
    )


def create_storage_from_source(source: str, pull_interval: int | None = 60) -> Any:
    """The storage for a source given as text: a `file://` git URL or a local path ending in
    `.git` is a GitRepository (cloned), another local path a LocalStorage; remote URLs are refused."""
    if source.startswith("file://") or (source.endswith(".git") and Path(source).expanduser().is_dir()):
        url = source if source.startswith("file://") else Path(source).expanduser().resolve().as_uri()
        return GitRepository(url=url, pull_interval=pull_interval)
    if any(marker in source for marker in _REMOTE):
        raise ValueError(_remote_refusal(source))
    return LocalStorage(path=source, pull_interval=pull_interval)


def run_pull(storage: Any) -> None:
    """Run `storage.pull_code()` to its end from sync code, in or out of a running event loop
    (in a loop's thread it runs on a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(storage.pull_code())
        return
    failure: list[BaseException] = []

    def pull() -> None:
        try:
            asyncio.run(storage.pull_code())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=pull, name="jupyter-orch-pull-code")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


__all__ = [
    "BlockStorageAdapter",
    "GitRepository",
    "LocalStorage",
    "RunnerStorage",
    "create_storage_from_source",
    "run_pull",
]
