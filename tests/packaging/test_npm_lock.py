"""Installing the project must not rewrite the committed labextension/package-lock.json.

hatch-jupyter-builder runs `npm install` before building the extension; an incomplete lock (say,
one without other platforms' optional packages) made every `pip install -e .` add hundreds of lines
to it. The builder now runs `npm --no-save install`, and `npm ci` accepts the lock as complete.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]


def test_builder_installs_without_saving() -> None:
    hooks = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["hooks"]
    builder = hooks["jupyter-builder"]
    for kwargs in ("build-kwargs", "editable-build-kwargs"):
        assert "--no-save" in builder[kwargs]["npm"], kwargs


def test_lock_is_in_sync_with_package_json() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    done = subprocess.run(
        [npm, "ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=ROOT / "labextension",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (
        "labextension/package-lock.json does not match package.json: run `npm install` in labextension/ "
        f"and commit the lock\n{done.stderr[-2000:]}"
    )
