"""Operations: `jupyter orch server` is a Jupyter server like any other.

Jupyter's own options (`--ServerApp.*`, `--IdentityProvider.token`, TLS `certfile`/`keyfile`,
`base_url`) and its config files configure it, so it runs behind a proxy, under a prefix, over
HTTPS. A self-signed certificate made here (with `cryptography`) stands in for a real one.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jupyter_orch.server.process import ServerProcess, free_port

from .conftest import wait_for

FLOW = """
from jupyter_orch import flow, task

@task
def inc(x):
    return x + 1

@flow(name="over-tls")
def over_tls():
    return inc(1)

assert over_tls() == 2
"""


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid for a day, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jupyter-orch test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = tmp / "cert.pem", tmp / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certfile, keyfile


def test_server_over_https_under_a_base_url_with_jupyter_options(tmp_path: Path) -> None:
    certfile, keyfile = _self_signed(tmp_path)
    home = tmp_path / "home"
    args = [
        f"--ServerApp.certfile={certfile}",
        f"--keyfile={keyfile}",  # Jupyter's short alias works as in `jupyter server`
        "--ServerApp.base_url=/orch-behind-proxy/",
        "--IdentityProvider.token=from-the-command-line",
        "--OrchApp.local_worker=False",
    ]
    server = ServerProcess(
        f"sqlite:///{home / 'orch.db'}",
        home,
        token="from-the-command-line",
        env={"JUPYTER_ORCH_API_TOKEN": "from-the-environment", "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")},
        args=args,
        base_url="/orch-behind-proxy/",
        https=True,
        verify=str(certfile),
    )
    with server:
        assert server.url.startswith("https://127.0.0.1:") and server.url.endswith("/orch-behind-proxy")
        health = httpx.get(f"{server.url}/orch/api/health", headers=server.headers, verify=str(certfile))
        assert health.status_code == 200, health.text
        # the command-line token wins over the environment's; unauthenticated requests are refused
        refused = httpx.get(
            f"{server.url}/orch/api/flow_runs",
            headers={"Authorization": "token from-the-environment"},
            verify=str(certfile),
        )
        assert refused.status_code == 401
        # nothing at the root without the prefix, and no plain HTTP
        assert (
            httpx.get(f"https://127.0.0.1:{server.port}/orch/api/health", verify=str(certfile)).status_code
            == 404
        )
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{server.port}/orch-behind-proxy/orch/api/health", timeout=5)
        # what it printed for clients points at https and the prefix
        printed = server.log_text()
        assert (
            f"export JUPYTER_ORCH_API_URL={server.url} JUPYTER_ORCH_API_TOKEN=from-the-command-line"
            in printed
        )
        # a flow in another process reports to it over TLS (the CA file from SSL_CERT_FILE)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
        env.update(server.client_env, SSL_CERT_FILE=str(certfile), JUPYTER_ORCH_HOME=str(tmp_path / "client"))
        done = subprocess.run(
            [sys.executable, "-c", FLOW], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
        runs = httpx.get(
            f"{server.url}/orch/api/flow_runs", headers=server.headers, verify=str(certfile)
        ).json()["items"]
        assert [(r["flow_name"], r["state_type"]) for r in runs] == [("over-tls", "COMPLETED")]
        assert not (tmp_path / "client" / "orch.db").exists()  # it went over HTTP, not to a file


def test_server_reads_jupyter_config_files(tmp_path: Path) -> None:
    """A jupyter_server_config.json sets port and base_url where this command has defaults; an
    option given on the command line still wins over the file."""
    config_dir = tmp_path / "cfg"
    config_dir.mkdir()
    file_port, cli_port = free_port(), free_port()
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {"ServerApp": {"port": file_port, "base_url": "/from-file/"}, "OrchApp": {"local_worker": False}}
        )
    )
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env.update(JUPYTER_CONFIG_DIR=str(config_dir), JUPYTER_ORCH_HOME=str(home), JUPYTER_ORCH_API_TOKEN="tok")
    for argv, port in (([], file_port), ([f"--port={cli_port}"], cli_port)):
        log = tmp_path / f"server-{port}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_orch.cli", "server", *argv],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}/from-file/orch/api/health"
            wait_for(functools.partial(_answers, url, proc, log), timeout=120, what=f"{url} to answer")
        finally:
            proc.terminate()
            proc.wait(30)


def _answers(url: str, proc: subprocess.Popen, log: Path) -> bool:
    assert proc.poll() is None, log.read_text()[-3000:]
    try:
        return httpx.get(url, headers={"Authorization": "token tok"}, timeout=5).status_code == 200
    except httpx.TransportError:
        return False
