"""Servers starting, failing to load and stopping: real `jupyter` processes.

Finding 1 of issue #15: two servers starting together on a fresh PostgreSQL database, one failed
its migration, kept running, answered 404 on /orch/api/* and hung on SIGTERM (`stop_extension`
raised `AttributeError: '_env_set'`). Now the schema is created under an advisory lock, a server
whose extension fails to load exits non-zero with the reason, and SIGTERM always ends a server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from jupyter_orch.server.app import OrchApp
from jupyter_orch.server.process import free_port

pytestmark = pytest.mark.postgres


def _env(database_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env.update(JUPYTER_ORCH_HOME=str(home), JUPYTER_ORCH_DATABASE_URL=database_url)
    env["JUPYTER_CONFIG_DIR"] = str(home / "no-config")  # nobody's personal config
    return env


def _jupyter_server(port: int, token: str, env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen:
    """`jupyter server` itself (all installed extensions, jupyter_orch among them)."""
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    args = [jupyter, "server", f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.allow_root=True"]
    args += ["--ServerApp.open_browser=False", f"--IdentityProvider.token={token}", *extra]
    return subprocess.Popen(args, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait_exit(proc: subprocess.Popen, timeout: float) -> int | None:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def _end(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(10)


@pytest.mark.parametrize("attempt", range(2))
def test_servers_starting_together_on_a_fresh_postgres_database(
    fresh_pg_url: str, tmp_path: Path, attempt: int
) -> None:
    token = secrets.token_hex(8)
    ports = [free_port() for _ in range(3)]
    procs = []
    try:
        for i, port in enumerate(ports):
            home = tmp_path / f"home{i}"
            home.mkdir()
            env = _env(fresh_pg_url, home)
            procs.append(
                _jupyter_server(port, token, env, tmp_path / f"server{i}.log", "--OrchApp.local_worker=False")
            )
        pending = dict(zip(ports, procs, strict=True))
        deadline = time.monotonic() + 120
        while pending and time.monotonic() < deadline:
            for port, proc in list(pending.items()):
                assert proc.poll() is None, (tmp_path / f"server{ports.index(port)}.log").read_text()[-3000:]
                try:
                    r = httpx.get(
                        f"http://127.0.0.1:{port}/orch/api/health",
                        headers={"Authorization": f"token {token}"},
                    )
                except httpx.TransportError:
                    continue
                assert r.status_code == 200, r.text  # never a half-loaded API answering 404
                pending.pop(port)
            time.sleep(0.1)
        assert not pending, "servers did not answer within 120 s"
        for port in ports:  # each one serves the whole API on the one schema
            r = httpx.get(
                f"http://127.0.0.1:{port}/orch/api/flow_runs", headers={"Authorization": f"token {token}"}
            )
            assert r.status_code == 200, r.text
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [_wait_exit(proc, 30) for proc in procs]
        assert None not in codes, "a server did not end on SIGTERM"
    finally:
        _end(procs)


def test_server_whose_database_is_unreachable_exits_with_the_reason(tmp_path: Path) -> None:
    """`jupyter orch server` on a PostgreSQL port nobody listens on: exits non-zero, says why."""
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    env = _env(dead, tmp_path / "home")
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter_orch.cli", "server", f"--port={free_port()}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "jupyter_orch failed to load" in proc.stderr
    assert "OperationalError" in proc.stderr


def test_jupyter_server_whose_extension_fails_late_in_loading_exits(tmp_path: Path) -> None:
    """A failure after the database, the writer, the event feed and the checkpointer started (a
    service module that does not exist): `jupyter server` stops them and exits non-zero, before
    serving anything."""
    home = tmp_path / "home"
    home.mkdir()
    env = _env(f"sqlite:///{home / 'orch.db'}", home)
    log = tmp_path / "server.log"
    proc = _jupyter_server(
        free_port(), "t", env, log, "--OrchApp.extra_services=jupyter_orch_no_such_module:factory"
    )
    try:
        code = _wait_exit(proc, 120)
        text = log.read_text()
        assert code is not None and code != 0, text[-3000:]
        assert "jupyter_orch failed to load" in text and "jupyter_orch_no_such_module" in text
    finally:
        _end([proc])


def test_stop_extension_of_an_app_that_never_loaded_does_not_raise() -> None:
    """jupyter_server stops its loop only after every stop_extension returned: it must not raise
    even on an app whose initialize_settings never ran (the `'_env_set'` AttributeError)."""
    asyncio.run(OrchApp().stop_extension())


def test_sigterm_ends_a_server_whose_service_failed_to_start(tmp_path: Path) -> None:
    """A service that fails at start leaves the server running (health says "failed"); SIGTERM
    still ends it promptly."""
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    env = _env(f"sqlite:///{home / 'orch.db'}", home)
    config = home / "no-config"
    config.mkdir()
    (home / "broken_service.py").write_text(
        "def broken(settings):\n    raise RuntimeError('this service cannot start')\n"
    )
    env["PYTHONPATH"] = f"{home}{os.pathsep}{env.get('PYTHONPATH', '')}"
    log = tmp_path / "server.log"
    extra = "--OrchApp.extra_services=broken_service:broken"
    proc = _jupyter_server(port, "t", env, log, extra, "--OrchApp.local_worker=False")
    try:
        deadline = time.monotonic() + 120
        services: dict[str, str] = {}
        while services.get("broken") != "failed" and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                r = httpx.get(
                    f"http://127.0.0.1:{port}/orch/api/health", headers={"Authorization": "token t"}
                )
                services = r.json().get("services", {}) if r.status_code == 200 else {}
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        assert services.get("broken") == "failed", log.read_text()[-3000:]
        proc.send_signal(signal.SIGTERM)
        assert _wait_exit(proc, 30) is not None, "SIGTERM did not end the server"
    finally:
        _end([proc])
