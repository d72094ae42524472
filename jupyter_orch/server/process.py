"""Run `jupyter orch server` as a child process (tests, benchmarks, restarts on the same port)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx

from jupyter_orch.settings import API_TOKEN_ENV, API_URL_ENV, DATABASE_URL_ENV, HOME_ENV


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A headless jupyter-orch server in a subprocess; `start()` waits until /health answers."""

    def __init__(
        self,
        database_url: str,
        home: Path,
        port: int | None = None,
        token: str | None = None,
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        base_url: str = "/",
        https: bool = False,
        verify: str | bool = True,
        ip: str = "127.0.0.1",
    ) -> None:
        """`args` go to the server after `--port` (Jupyter's own options: `--ServerApp.*`,
        `--certfile=...`); `base_url` and `https` say where it then answers, `verify` is the CA
        file (or False) its TLS certificate is checked against; `ip` the address it listens on."""
        self.ip = ip
        self.database_url = database_url
        self.home = Path(home)
        self.port = port or free_port()
        self.token = token or secrets.token_hex(16)
        self.log_path = log_path or self.home / f"server-{self.port}.log"
        self.extra_env = env or {}
        self.args = list(args or [])
        self.base_url = "/" + base_url.strip("/") if base_url.strip("/") else ""
        self.scheme = "https" if https else "http"
        self.verify = verify
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.ip}:{self.port}{self.base_url}"

    @property
    def client_env(self) -> dict[str, str]:
        """The environment a client of this server needs."""
        return {API_URL_ENV: self.url, API_TOKEN_ENV: self.token}

    def start(self, timeout: float = 180.0) -> ServerProcess:
        """Start it and wait for /health; a healthy server answers in seconds, but a Jupyter server's
        imports alone took over 60 s on a 2-core machine under a CPU hog, so the wait is generous."""
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            HOME_ENV: str(self.home),
            DATABASE_URL_ENV: self.database_url,
            API_TOKEN_ENV: self.token,
            **self.extra_env,
        }
        env.pop(API_URL_ENV, None)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_orch.cli",
                "server",
                "--ip",
                self.ip,
                "--port",
                str(self.port),
                *self.args,
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=str(self.home),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_text()[-2000:]}")
            try:
                r = httpx.get(
                    f"{self.url}/orch/api/health", headers=self.headers, timeout=2, verify=self.verify
                )
                if r.status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"server did not answer within {timeout}s: {self.log_text()[-2000:]}")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def stop(self, kill: bool = False) -> None:
        if self.proc is not None and self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
