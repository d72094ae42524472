"""Workers on other hosts: a worker in its own network namespace, reaching the server over a veth
pair on a private subnet made by the test, loses its link.

Cut for 30 s (under the server's heartbeat timeout): its run keeps going, its heartbeats resume,
nothing is doubled. Cut for longer than the timeout: its run is marked Crashed and retried by a
worker on the host; when the link comes back, the cut-off worker kills its attempt and reports
nothing over the retry. Needs root and `ip netns`; skipped, saying why, without them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyter_orch.server.process import ServerProcess, free_port

from .conftest import wait_for


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def _netns_unavailable() -> str | None:
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"orchprobe{secrets.token_hex(3)}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` is not permitted here: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


@dataclass
class Namespace:
    """A network namespace joined to the host by a veth pair on a /30 of 10.213.0.0/16."""

    name: str
    host_if: str
    host_ip: str
    ns_ip: str

    @property
    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def cut(self) -> None:
        _ip("link", "set", self.host_if, "down")

    def restore(self) -> None:
        _ip("link", "set", self.host_if, "up")


def _free_subnet() -> int:
    used = _ip("-o", "addr").stdout
    for _ in range(100):
        third = secrets.randbelow(250) + 1
        if f"10.213.{third}." not in used:
            return third
    raise RuntimeError("no free 10.213.x.0/30 subnet")


@pytest.fixture
def netns() -> Iterator[Namespace]:
    why = _netns_unavailable()
    if why:
        pytest.skip(f"no network namespaces: {why}")
    tag = secrets.token_hex(3)
    third = _free_subnet()
    ns = Namespace(f"orch{tag}", f"oh{tag}", f"10.213.{third}.1", f"10.213.{third}.2")
    peer = f"on{tag}"
    try:
        _ip("netns", "add", ns.name)
        _ip("link", "add", ns.host_if, "type", "veth", "peer", "name", peer)
        _ip("link", "set", peer, "netns", ns.name)
        _ip("addr", "add", f"{ns.host_ip}/30", "dev", ns.host_if)
        _ip("link", "set", ns.host_if, "up")
        _ip("netns", "exec", ns.name, "ip", "addr", "add", f"{ns.ns_ip}/30", "dev", peer)
        _ip("netns", "exec", ns.name, "ip", "link", "set", peer, "up")
        _ip("netns", "exec", ns.name, "ip", "link", "set", "lo", "up")
        yield ns
    finally:  # always: the pair goes with its host end, the namespace by name
        _ip("link", "del", ns.host_if, check=False)
        _ip("netns", "del", ns.name, check=False)


def _server(db_url: str, home: Path, ns: Namespace, timeout: float) -> ServerProcess:
    env = {"JUPYTER_ORCH_HEARTBEAT_TIMEOUT": str(timeout)}
    return ServerProcess(db_url, home, port=free_port(), env=env, ip=ns.host_ip)


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def _deploy(api: httpx.Client, flows_dir: Path, pool: str, entrypoint: str, **fields: Any) -> dict:
    _ok(api.post("/work_pools", json={"name": pool}))
    body = {
        "flow_name": entrypoint.split(":")[1],
        "name": "d",
        "entrypoint": entrypoint,
        "path": str(flows_dir),
        "work_pool_name": pool,
        **fields,
    }
    return _ok(api.post("/deployments", json=body))


def _history(api: httpx.Client, run_id: str) -> list[str]:
    return [s["name"] for s in _ok(api.get(f"/flow_runs/{run_id}/states"))]


def _last_beat(api: httpx.Client, pool: str) -> datetime | None:
    items = _ok(api.get("/workers", params={"work_pool_name": pool}))["items"]
    beats = [datetime.fromisoformat(w["last_heartbeat_time"]) for w in items]
    return max(beats) if beats else None


def test_a_link_cut_for_30s_loses_and_doubles_nothing(
    db_url: str, tmp_path: Path, netns: Namespace, flows_dir: Path, start_worker
) -> None:
    with _server(db_url, tmp_path / "home", netns, timeout=60) as server:
        api = httpx.Client(base_url=server.url + "/orch/api", headers=server.headers, timeout=30)
        marker = flows_dir / "started"
        dep = _deploy(
            api, flows_dir, "far", "flows.py:sleepy", parameters={"seconds": 45, "marker": str(marker)}
        )
        run = _ok(api.post(f"/deployments/{dep['id']}/create_flow_run", json={}))
        start_worker("far", api_url=server.url, token=server.token, prefix=netns.exec_prefix)
        wait_for(lambda: marker.exists(), 60, "the run to start in the namespace")
        assert _ok(api.get(f"/flow_runs/{run['id']}"))["state_type"] == "RUNNING"
        netns.cut()
        cut_at = time.monotonic()
        try:
            while time.monotonic() - cut_at < 30:  # the run is neither crashed nor started twice
                assert _ok(api.get(f"/flow_runs/{run['id']}"))["state_type"] == "RUNNING"
                wait_for(lambda: True, 0, every=1.0)
        finally:
            netns.restore()
        restored = datetime.now().astimezone()
        wait_for(lambda: (_last_beat(api, "far") or restored) > restored, 60, "heartbeats to resume")
        wait_for(lambda: _ok(api.get(f"/flow_runs/{run['id']}"))["state_type"] == "COMPLETED", 120, "the run")
        done = _ok(api.get(f"/flow_runs/{run['id']}"))
        names = _history(api, run["id"])
        assert done["run_count"] == 1 and names.count("Running") == 1 and "Crashed" not in names, names
        assert len(marker.read_text().split()) == 1  # the body ran once
        api.close()


def test_a_worker_cut_off_past_the_timeout_has_its_run_crashed_and_retried_elsewhere(
    db_url: str, tmp_path: Path, netns: Namespace, flows_dir: Path, start_worker
) -> None:
    with _server(db_url, tmp_path / "home", netns, timeout=6) as server:
        api = httpx.Client(base_url=server.url + "/orch/api", headers=server.headers, timeout=30)
        marker = flows_dir / "attempt-1"
        dep = _deploy(
            api,
            flows_dir,
            "far",
            "flows.py:once_slow",
            parameters={"marker": str(marker)},
            empirical_policy={"retries": 1},
        )
        run = _ok(api.post(f"/deployments/{dep['id']}/create_flow_run", json={}))
        far = start_worker("far", api_url=server.url, token=server.token, prefix=netns.exec_prefix)
        wait_for(lambda: marker.exists() and marker.read_text(), 60, "the first attempt in the namespace")
        first_pid = int(marker.read_text())
        netns.cut()
        try:
            wait_for(
                lambda: "Crashed" in _history(api, run["id"]), 60, "the cut-off run to be marked Crashed"
            )
            crashed = next(
                s for s in _ok(api.get(f"/flow_runs/{run['id']}/states")) if s["name"] == "Crashed"
            )
            assert "no heartbeat" in crashed["message"], crashed
            start_worker("far", api_url=server.url, token=server.token)  # on the host
            wait_for(
                lambda: _ok(api.get(f"/flow_runs/{run['id']}"))["state_type"] == "COMPLETED", 60, "the retry"
            )
        finally:
            netns.restore()
        # back online, the cut-off worker learns its attempt is over and kills it
        wait_for(
            lambda: not Path(f"/proc/{first_pid}").exists() or _zombie(first_pid),
            60,
            "the old attempt to end",
        )
        assert far.proc.poll() is None  # the worker itself carries on
        done = _ok(api.get(f"/flow_runs/{run['id']}"))
        names = _history(api, run["id"])
        assert done["state_type"] == "COMPLETED" and done["run_count"] == 2, done
        assert names.count("Crashed") == 1 and names.count("Completed") == 1, names
        assert names[-1] == "Completed"  # the cut-off worker reported nothing over the retry
        api.close()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True
