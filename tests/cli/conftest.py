"""CLI fixtures: `cli(...)` runs `jupyter orch ...` in-process against a fresh database ("local")
and against a live server over HTTP ("http")."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_orch.cli.app import Context, main
from jupyter_orch.server.process import ServerProcess


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("cli-live")
    with ServerProcess(f"sqlite:///{home / 'orch.db'}", home) as server:
        yield server


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

    def __repr__(self) -> str:
        return f"Result({self.returncode}, stdout={self.stdout!r}, stderr={self.stderr!r})"


@pytest.fixture(params=["local", "http"])
def cli(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `jupyter orch ...` in-process (same parser, handlers and transports as the entry point,
    without paying an interpreter start per command), against a fresh database or the live server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    if request.param == "http":
        server: ServerProcess = request.getfixturevalue("live")
        env.update(server.client_env)
        env["JUPYTER_ORCH_DATABASE_URL"] = server.database_url
    else:
        env["JUPYTER_ORCH_HOME"] = str(tmp_path / "home")
    for key in [k for k in os.environ if k.startswith("JUPYTER_ORCH_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("JUPYTER_ORCH_"):
            monkeypatch.setenv(key, value)

    def run(*args: str, input: str | None = None) -> Result:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdin", io.StringIO(input or ""))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args), Context(stdout=out, stderr=err))
            except SystemExit as exc:  # argparse: usage errors and --help
                code = exc.code if isinstance(exc.code, int) else 1
        return Result(code, out.getvalue(), err.getvalue())

    run.mode = request.param  # type: ignore[attr-defined]
    run.env = env  # type: ignore[attr-defined]
    return run
