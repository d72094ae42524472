"""The wheel ships the JupyterLab extension prebuilt and enables the server extension on install.

Builds the wheel (reusing the extension already built by the editable install, as
hatch-jupyter-builder's skip-if-exists allows), installs it into a fresh virtualenv with no
Node.js on PATH, and asks JupyterLab and Jupyter Server there what they find. The new virtualenv
borrows JupyterLab itself from the test environment through a .pth file, so nothing is fetched.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (ROOT / "jupyter_orch" / "labextension" / "package.json").exists():
        pytest.fail("the JupyterLab extension is not built: run the README's install first")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
        timeout=600,
    )
    (found,) = out.glob("jupyter_orch-*.whl")
    return found


def test_wheel_installs_prebuilt_extension_without_node(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=300)
    # dependencies (JupyterLab, jupyter_server, ...) come from the test environment, after the
    # new venv's own site-packages so that the installed wheel wins over the editable checkout
    new_site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    deps = [p for p in site.getsitepackages() + [sysconfig.get_path("purelib")] if Path(p).is_dir()]
    (new_site / "zz_test_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")

    env = {
        "PATH": str(venv / "bin"),
        "HOME": str(tmp_path),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    probe = subprocess.run(
        [
            str(py),
            "-c",
            "import shutil, jupyter_orch; print(shutil.which('node')); print(jupyter_orch.__file__)",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert probe[0] == "None", "Node.js must not be reachable for this check"
    assert probe[1].startswith(str(venv)), "the wheel's package, not the checkout, must be imported"

    shared = venv / "share" / "jupyter" / "labextensions" / "jupyter-orch"
    assert (shared / "package.json").is_file() and list((shared / "static").glob("remoteEntry.*.js"))
    text = _output(py, "jupyterlab.labextensions", env, tmp_path)
    line = next((ln for ln in text.splitlines() if "jupyter-orch" in ln), "")
    assert "enabled" in line and "OK" in line, text

    text = _output(py, "jupyter_server.extension.serverextension", env, tmp_path)
    assert any("jupyter_orch" in ln and "enabled" in ln for ln in text.splitlines()), text
    assert os.path.isfile(venv / "etc" / "jupyter" / "jupyter_server_config.d" / "jupyter_orch.json")


def _output(py: Path, module: str, env: dict[str, str], cwd: Path) -> str:
    """What `python -m MODULE list` of the wheel's venv prints (stdout and stderr)."""
    done = subprocess.run(
        [str(py), "-m", module, "list"], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    return done.stdout + done.stderr
