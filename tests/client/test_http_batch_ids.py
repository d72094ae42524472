"""Batches over HTTP carry a batch_id; a batch whose answer was lost is resent under its id."""

from __future__ import annotations

import uuid
from typing import Any

from jupyter_orch.client import ApiError, OrchClient, Transport


class LosingTransport(Transport):
    """Applies every batch like the server (skipping known batch ids), but loses the first answer."""

    remote = True

    def __init__(self) -> None:
        self.applied: set[str] = set()
        self.logs: list[str] = []
        self.lose = 1
        self.sent: list[str] = []

    def request(self, method: str, path: str, query: Any = None, body: Any = None) -> Any:
        assert (method, path) == ("POST", "task_runs/batch")
        self.sent.append(body["batch_id"])
        if body["batch_id"] not in self.applied:
            self.applied.add(body["batch_id"])
            self.logs.extend(r["message"] for r in body.get("logs", []))
        if self.lose:
            self.lose -= 1
            raise ApiError(503, "unreachable", "answer lost")
        return {}

    def close(self) -> None:
        pass


def make_client() -> tuple[OrchClient, LosingTransport]:
    transport = LosingTransport()
    return OrchClient(transport), transport


def test_lost_answer_replays_the_same_batch_id_without_duplicates() -> None:
    client, transport = make_client()
    try:
        rid = str(uuid.uuid4())
        first = {"logs": [{"flow_run_id": rid, "message": "a"}, {"flow_run_id": rid, "message": "b"}]}
        try:
            client.apply_task_run_batch(first)
        except ApiError:
            pass
        # the BatchWriter requeues the failed rows in front of new ones (the same row objects)
        second = {"logs": [*first["logs"], {"flow_run_id": rid, "message": "c"}]}
        client.apply_task_run_batch(second)
        assert transport.logs == ["a", "b", "c"]
        assert transport.sent[0] == transport.sent[1] != transport.sent[2]
    finally:
        client.close()


def test_through_the_batch_writer() -> None:
    client, transport = make_client()
    try:
        client.writer._interval = 0.01
        for i in range(5):
            client.writer.add("logs", {"flow_run_id": str(uuid.uuid4()), "message": str(i)})
        try:
            client.writer.flush(timeout=10)
        except ApiError:
            client.writer.flush(timeout=10)
        assert sorted(transport.logs) == [str(i) for i in range(5)]
    finally:
        client.close()
