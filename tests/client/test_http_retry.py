"""`HTTPTransport` against a real HTTP server on loopback: a 503 (a stopping server) is sent again
after its `Retry-After`, until the server answers; a 500 is a fault and is never resent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jupyter_orch.client import ApiError
from jupyter_orch.client.http import HTTPTransport


class Scripted(ThreadingHTTPServer):
    """Answers each request with the next (status, headers) of `script`, then 200 {"ok": true}."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Answer)
        self.script: list[tuple[int, dict[str, str]]] = []
        self.bodies: list[dict[str, object]] = []
        self.lock = threading.Lock()


class Answer(BaseHTTPRequestHandler):
    server: Scripted

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.bodies.append(body)
            status, headers = self.server.script.pop(0) if self.server.script else (200, {})
        payload = json.dumps({"ok": True} if status == 200 else {"error": "x", "message": str(status)})
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's signature)
        pass


@pytest.fixture
def server() -> Iterator[Scripted]:
    srv = Scripted()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def transport(srv: Scripted) -> HTTPTransport:
    return HTTPTransport(f"http://127.0.0.1:{srv.server_address[1]}", retry_seconds=30, max_backoff=0.2)


def test_a_503_with_retry_after_is_sent_again_until_answered(server: Scripted) -> None:
    server.script = [(503, {"Retry-After": "0"}), (503, {"Retry-After": "0"}), (502, {})]
    client = transport(server)
    try:
        batch = {"batch_id": "b-1", "logs": []}
        assert client.request("POST", "task_runs/batch", body=batch) == {"ok": True}
    finally:
        client.close()
    assert server.bodies == [batch] * 4  # the same batch id every time: the server applies it once


def test_a_500_is_never_resent(server: Scripted) -> None:
    server.script = [(500, {})]
    client = transport(server)
    try:
        with pytest.raises(ApiError) as err:
            client.request("POST", "task_runs/batch", body={"batch_id": "b-2"})
    finally:
        client.close()
    assert err.value.status == 500 and len(server.bodies) == 1


def test_503s_past_the_budget_raise_503(server: Scripted) -> None:
    server.script = [(503, {"Retry-After": "0"})] * 100
    client = HTTPTransport(
        f"http://127.0.0.1:{server.server_address[1]}", retry_seconds=0.3, max_backoff=0.05
    )
    try:
        with pytest.raises(ApiError) as err:
            client.request("POST", "task_runs/batch", body={"batch_id": "b-3"})
    finally:
        client.close()
    assert err.value.status == 503 and 1 < len(server.bodies) < 100
