"""`jupyter orch notification create|ls|delete|test`, against the database and a live server, with a
real webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from jupyter_orch.server.process import free_port


class Receiver:
    """An HTTP server on 127.0.0.1 recording the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_create_list_test_delete(cli, receiver: Receiver) -> None:
    res = cli("notification", "create", "ops", "--channel", "webhook", "--url", receiver.url,
              "--state", "Failed", "--tag", "prod", "--json")  # fmt: skip
    assert res.returncode == 0, res
    rule = json.loads(res.stdout)
    assert rule["channel"] == "webhook" and rule["state_names"] == ["Failed"] and rule["tags"] == ["prod"]

    res = cli("notification", "ls")
    assert (
        res.returncode == 0 and "ops" in res.stdout and receiver.url in res.stdout and "Failed" in res.stdout
    )
    res = cli("notification", "ls", "--json")
    assert rule["id"] in [r["id"] for r in json.loads(res.stdout)]

    res = cli("notification", "test", rule["id"])
    assert res.returncode == 0, res
    assert res.stdout.startswith("Sent through webhook")
    (body,) = [b for b in receiver.bodies if b.get("test")]
    assert "Test notification" in body["text"] and body["policy"] == "ops"

    assert cli("notification", "delete", rule["id"]).returncode == 0
    assert rule["id"] not in [r["id"] for r in json.loads(cli("notification", "ls", "--json").stdout)]


def test_a_failing_channel_is_reported(cli) -> None:
    dead = f"http://127.0.0.1:{free_port()}/nobody-listens"
    rule = json.loads(
        cli("notification", "create", "dead", "--channel", "webhook", "--url", dead, "--json").stdout
    )
    res = cli("notification", "test", rule["id"], "--json")
    assert res.returncode == 1, res
    delivery = json.loads(res.stdout)
    assert delivery["status"] == "PENDING" and delivery["attempts"] == 1 and delivery["last_error"]
    res = cli("notification", "test", rule["id"])
    assert res.returncode == 1 and res.stdout.startswith("Not delivered through webhook")


def test_ui_rule_is_shown_at_once(cli) -> None:
    rule = json.loads(cli("notification", "create", "toast", "--channel", "ui", "--json").stdout)
    res = cli("notification", "test", rule["id"], "--wait", "0")
    assert res.returncode == 0 and res.stdout.startswith("Sent through ui")


@pytest.mark.parametrize(
    "args, word",
    [
        (["notification", "create", "x", "--channel", "pigeon"], "channel"),
        (["notification", "create", "x", "--channel", "webhook"], "config.url"),
        (["notification", "create", "x", "--channel", "ui", "--config", "[1]"], "config"),
        (["notification", "test", "00000000-0000-0000-0000-000000000000"], "not found"),
        (["notification", "create", "x", "--channel", "ui", "--deployment", "nodeployment"], "flow-name"),
    ],
)
def test_bad_arguments_are_one_line(cli, args: list[str], word: str) -> None:
    res = cli(*args)
    assert res.returncode in (1, 2), res
    assert word in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
