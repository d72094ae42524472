#!/usr/bin/env bash
# Install everything the tests need and run every test: the TypeScript unit tests, the UI tests in
# Debian's Chromium, and the Python suite against SQLite and PostgreSQL.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh" test || exit 1
set +e
if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Chromium (apt-get)"
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || { echo "could not install chromium"; exit 1; }
fi
export ORCH_REQUIRE_POSTGRES="${ORCH_REQUIRE_POSTGRES:-1}"
status=0
run() { echo "==> $*"; "$@" || status=1; }

if [ -f "$ROOT/labextension/package.json" ]; then
  run bash -c "cd '$ROOT/labextension' && npm test --silent"
fi
if [ -x "$ROOT/labextension/ui-tests/run.sh" ]; then
  run "$ROOT/labextension/ui-tests/run.sh"
fi
run ruff check "$ROOT/jupyter_orch" "$ROOT/tests" "$ROOT/benchmarks"
# two test processes (pytest-xdist): most tests wait on servers, workers, kernels and schedules
# rather than use the CPU, so two share this 2-core machine well; more made timing tests flaky.
# Each process has its own PostgreSQL database, SQLite files and ports (tests/conftest.py).
# ORCH_TEST_PROCESSES=0 runs the tests in pytest's own process (e.g. for --pdb).
cd "$ROOT" && run python -m pytest -q -p no:cacheprovider --durations=15 \
  -n "${ORCH_TEST_PROCESSES:-2}" --dist worksteal "$@"
exit $status
