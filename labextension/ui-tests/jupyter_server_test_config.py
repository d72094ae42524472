"""JupyterLab server for the jupyter-orch UI tests (Galata).

Token-less and XSRF-free as Galata expects; never use it for anything else.
Orchestration state lives in a fresh JUPYTER_ORCH_HOME, the server root is a
fresh directory holding copies of the fixture notebooks, and the extension is
loaded from the repository's build output without installing it.
"""

import os
import shutil
import tempfile
from pathlib import Path

import jupyterlab.galata
from jupyterlab.galata import configure_jupyter_server

HERE = Path(__file__).parent
BUILT_EXTENSION = HERE.parent.parent / "jupyter_orch" / "labextension"

configure_jupyter_server(c)  # noqa: F821
c.ServerApp.port = int(os.environ.get("ORCH_UI_PORT", "8899"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821

os.environ.setdefault("JUPYTER_ORCH_HOME", tempfile.mkdtemp(prefix="orch-ui-home-"))

root = Path(c.ServerApp.root_dir)  # noqa: F821
for notebook in (HERE / "notebooks").glob("*.ipynb"):
    shutil.copy(notebook, root / notebook.name)

if not (BUILT_EXTENSION / "package.json").exists():
    raise SystemExit(f"Build the extension first (npm run build in labextension/): {BUILT_EXTENSION} is missing")
labextensions = Path(tempfile.mkdtemp(prefix="orch-ui-labextensions-"))
(labextensions / "jupyter-orch").symlink_to(BUILT_EXTENSION)
c.LabServerApp.extra_labextensions_path = [  # noqa: F821
    str(Path(jupyterlab.galata.__file__).parent),
    str(labextensions),
]
