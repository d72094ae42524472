"""The plain HTTP/1.1 client `api.py` drives both servers with (the same client for each, so
neither side's numbers carry a different client's cost)."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx


class Response:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Client:
    """A plain HTTP/1.1 keep-alive client: one connection, JSON bodies sent in one write with
    TCP_NODELAY (http.client writes headers and body separately, which Nagle's algorithm and delayed
    ACKs would turn into a 40 ms stall), cookies the server sets sent back like any HTTP client."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = dict(headers)
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def post(self, path: str, json: Any) -> Response:
        body = _dumps(json)
        headers = {**self.headers, "Content-Type": "application/json", "Content-Length": str(len(body))}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.conn is None:
            self.conn = self._connect()
        try:
            self.conn.request("POST", path, body, headers)
            resp = self.conn.getresponse()
            content = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise httpx.TransportError(str(exc)) from exc
        for header in resp.headers.get_all("Set-Cookie") or ():
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if resp.will_close:
            self.close()
        return Response(resp.status, content)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
