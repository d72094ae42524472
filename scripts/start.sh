#!/usr/bin/env bash
# Install jupyter-orch and start JupyterLab with the orchestration sidebar, the example
# notebooks, the embedded SQLite database and the built-in local worker.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh" lab
export JUPYTER_ORCH_HOME="${JUPYTER_ORCH_HOME:-$HOME/.jupyter_orch}"
jupyter orch database upgrade
extra=()
[ "$(id -u)" = "0" ] && extra+=(--allow-root)
echo "==> starting JupyterLab on the example notebooks (database in $JUPYTER_ORCH_HOME)"
exec jupyter lab --notebook-dir="$ROOT/notebooks" "${extra[@]}" "$@"
