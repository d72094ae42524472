"""Notifications reach a real webhook and SMTP server; tag concurrency limits hold under contention."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import concurrency, flow_runs
from jupyter_orch.orchestration.store import notifications as store
from jupyter_orch.services.notifications import NotificationService
from jupyter_orch.states import Completed, Failed, Pending, Running


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_slack_email_deliveries_and_failures(db_url: str) -> None:
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    http = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    mails: list[bytes] = []

    class Mailbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            mails.append(envelope.content)
            return "250 OK"

    smtp_port = _free_port()
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    url = f"http://127.0.0.1:{http.server_port}/hook"
    try:
        with session_scope(db_url) as s:
            store.create_policy(s, "hook", "webhook", {"url": url}, state_names=["Failed"])
            store.create_policy(s, "slack", "slack", {"url": url}, state_names=["Failed"], tags=["prod"])
            store.create_policy(
                s,
                "mail",
                "email",
                {"to": "ops@example.com", "smtp_host": "127.0.0.1", "smtp_port": smtp_port},
                state_names=["Failed"],
            )
            store.create_policy(s, "ui", "ui", state_names=["Completed", "Failed"])
            store.create_policy(s, "dead", "webhook", {"url": f"http://127.0.0.1:{_free_port()}/"})
            run = flow_runs.create_flow_run(s, flow_name="etl", tags=["prod"])
            run_id, run_name = run.id, run.name
        with session_scope(db_url) as s:
            flow_runs.set_flow_run_state(s, run_id, Running())
            flow_runs.set_flow_run_state(s, run_id, Failed(message="boom"))
        service = NotificationService(db_url, backoff_base=0.01)
        service.run_once()
        assert len(received) == 2
        full = next(r for r in received if "flow_run_name" in r)
        assert full["flow_run_name"] == run_name and full["state_name"] == "Failed"
        assert any(set(r) == {"text"} and run_name in r["text"] for r in received)  # Slack-compatible
        assert len(mails) == 1 and run_name.encode() in mails[0] and b"Failed" in mails[0]
        with session_scope(db_url) as s:
            msgs = store.ui_messages(s)
            assert [m.body["state_name"] for m in msgs] == ["Failed"]
            dead = [d for d in store.list_deliveries(s, limit=50)[0] if d.last_error]
            assert dead and all(d.attempts >= 1 for d in dead)
            assert flow_runs.read_flow_run(s, run_id).state_type == "FAILED"  # untouched by failures
    finally:
        http.shutdown()
        smtp.stop()


def test_tag_limit_of_two_holds_with_ten_competitors(db_url: str) -> None:
    with session_scope(db_url) as s:
        concurrency.create_limit(s, "db", 2)
        assert concurrency.limited_tags(s) == {"db"}
    lock = threading.Lock()
    active, peak, done = [0], [0], []

    def task(i: int) -> None:
        holder = f"00000000-0000-0000-0000-{i:012d}"
        while True:
            with session_scope(db_url) as s:
                ok = concurrency.acquire_tag_slots(s, ["db", "other"], holder)
            if ok:
                break
            time.sleep(0.01)
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        with session_scope(db_url) as s:
            concurrency.release_slots(s, holder)
        done.append(i)

    threads = [threading.Thread(target=task, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(done) == list(range(10)) and peak[0] == 2


def test_slots_released_when_flow_run_ends(db_url: str) -> None:
    with session_scope(db_url) as s:
        concurrency.create_limit(s, "x", 1)
        run = flow_runs.create_flow_run(s, flow_name="f", state=Pending())
        assert concurrency.acquire_tag_slots(s, ["x"], run.id)
        assert not concurrency.acquire_tag_slots(s, ["x"], "someone-else")
        flow_runs.set_flow_run_state(s, run.id, Running())
        flow_runs.set_flow_run_state(s, run.id, Completed())
        assert concurrency.acquire_tag_slots(s, ["x"], "someone-else")


@pytest.mark.parametrize(
    "channel,config,field",
    [("webhook", {}, "config.url"), ("email", {}, "config.to"), ("pigeon", {}, "channel")],
)
def test_bad_policy_is_invalid(db_url: str, channel: str, config: dict, field: str) -> None:
    from jupyter_orch.orchestration.errors import Invalid

    with session_scope(db_url) as s, pytest.raises(Invalid) as err:
        store.create_policy(s, "p", channel, config)
    assert err.value.field == field
