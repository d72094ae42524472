#!/usr/bin/env bash
# Run the jupyter-orch UI tests headless in Debian's Chromium.
#   ./run.sh                 all tests
#   ./run.sh -g "dashboard"  extra arguments go to `playwright test`
# Installs what is missing (npm packages, the built extension); screenshots
# land in artifacts/screenshots, the HTML report in playwright-report/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXT="$(dirname "$HERE")"
REPO="$(dirname "$EXT")"

if ! command -v jupyter >/dev/null 2>&1 && [ -x "$REPO/.venv/bin/jupyter" ]; then
  export PATH="$REPO/.venv/bin:$PATH"
fi
command -v jupyter >/dev/null || { echo "run.sh: jupyter is not on PATH (install the project first)" >&2; exit 2; }

CHROMIUM="${ORCH_UI_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "run.sh: $CHROMIUM is missing; install Debian's chromium package" >&2; exit 2
  fi
fi

if [ ! -f "$REPO/jupyter_orch/labextension/package.json" ]; then
  (cd "$EXT" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# a free port unless one is given: two test runs on one machine must not share a JupyterLab
if [ -z "${ORCH_UI_PORT:-}" ]; then
  ORCH_UI_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  export ORCH_UI_PORT
fi
cd "$HERE"
[ -d node_modules/@jupyterlab/galata ] || npm ci --no-audit --no-fund
mkdir -p artifacts/screenshots
exec npx playwright test "$@"
