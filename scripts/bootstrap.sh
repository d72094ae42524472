#!/usr/bin/env bash
# Shared set-up for start.sh and test.sh: a virtualenv in .venv with the project installed.
# Usage: source scripts/bootstrap.sh EXTRAS   (e.g. "lab" or "test")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXTRAS="${1:-lab}"
PY="${PYTHON:-python3}"

need_node() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "==> installing Node.js and npm (apt-get)"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
}

if [ ! -x "$ROOT/.venv/bin/python" ]; then
  echo "==> creating virtualenv .venv"
  "$PY" -m venv "$ROOT/.venv"
fi
# shellcheck disable=SC1091
source "$ROOT/.venv/bin/activate"
python -m pip install -q --upgrade pip >/dev/null
need_node
echo "==> installing jupyter-orch[$EXTRAS] (builds the JupyterLab extension)"
python -m pip install -q -e "$ROOT[$EXTRAS]"
