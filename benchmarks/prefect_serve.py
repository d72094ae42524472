"""Prefect 3's side of the ad hoc latency benchmark (`scheduling.py`): its own server and a
`flow.serve()` process from the Prefect venv, runs triggered over its REST API."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx


def prefect_adhoc(venv: Path, runs: int) -> list[float]:
    """Prefect 3: `prefect server start` + `flow.serve()` (default polling), N runs via REST."""
    from jupyter_orch.server.process import free_port

    tmp = Path(tempfile.mkdtemp(prefix="prefect-bench-"))
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    bin_ = venv / "bin"
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [str(bin_ / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    (tmp / "flow.py").write_text(
        "from prefect import flow\n\n@flow\ndef trivial():\n    return 1\n\n"
        "if __name__ == '__main__':\n    trivial.serve(name='bench')\n"
    )
    served = None
    try:
        _wait(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 180)
        served = subprocess.Popen(
            [str(bin_ / "python"), str(tmp / "flow.py")],
            env={**env, "PREFECT_API_URL": api},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        # serve() registers the deployment (GET .../name/{flow}/{deployment} → 404 until then)
        _wait(lambda: httpx.get(f"{api}/deployments/name/trivial/bench", timeout=5).status_code == 200, 120)
        dep_id = _json(httpx.get(f"{api}/deployments/name/trivial/bench", timeout=30))["id"]
        time.sleep(2)  # let serve() settle into its polling loop
        latencies = []
        with httpx.Client(timeout=30) as client:
            for _ in range(runs):
                began = time.perf_counter()
                # 201 with the flow run (SCHEDULED, now); serve() picks it up on its next poll
                run_id = _json(client.post(f"{api}/deployments/{dep_id}/create_flow_run", json={}))["id"]
                deadline = time.monotonic() + 120
                while True:
                    state = _json(client.get(f"{api}/flow_runs/{run_id}")).get("state_type")
                    if state == "COMPLETED":
                        break
                    if state in ("FAILED", "CRASHED", "CANCELLED") or time.monotonic() > deadline:
                        raise RuntimeError(f"Prefect run {run_id} ended {state}")
                    time.sleep(0.05)
                latencies.append(time.perf_counter() - began)
        return latencies
    finally:
        for proc in (served, server):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        log.close()


def _json(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer; any other answer raises with Prefect's own message."""
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:200]}"
        )
    return response.json()


def _wait(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("timed out waiting for Prefect")
