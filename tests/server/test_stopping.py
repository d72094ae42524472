"""A server whose extension is stopping answers 503 with `Retry-After`, never 500: the writer,
thread pool and database go away under requests still arriving on kept-alive connections, and
clients retry a 503 (to the restarted server, or another behind a proxy) but never a 500."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.exc import InvalidatePoolError

from jupyter_orch.server.handlers import OrchHandler


def orch_app(jp_serverapp: Any) -> Any:
    (app,) = jp_serverapp.extension_manager.extension_apps["jupyter_orch"]
    return app


async def fetch(jp_fetch: Any, method: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
    kwargs: dict[str, Any] = {"method": method, "raise_error": False}
    if method == "POST":
        kwargs["body"] = json.dumps(body or {})
    resp = await jp_fetch("orch", "api", *path.split("/"), **kwargs)
    return resp.code, json.loads(resp.body or b"null"), resp.headers


async def test_requests_during_stop_extension_are_503_with_retry_after(api, jp_fetch, jp_serverapp):
    assert (await api("POST", "flow_runs", body={"flow_name": "before"}))[0] == 201
    await orch_app(jp_serverapp).stop_extension()  # the writer and the pool are gone, the port not
    for method, path, body in (
        ("GET", "flow_runs", None),
        ("POST", "flow_runs", {"flow_name": "during"}),
        ("POST", "task_runs/batch", {"batch_id": "b-1", "logs": []}),
    ):
        status, err, headers = await fetch(jp_fetch, method, path, body)
        assert (status, err["error"]) == (503, "unavailable"), (method, path, err)
        assert float(headers["Retry-After"]) > 0


async def test_a_stopped_writer_is_503_even_before_the_flag(api, jp_fetch, jp_serverapp):
    orch_app(jp_serverapp).writer.stop()
    status, err, headers = await fetch(jp_fetch, "POST", "flow_runs", {"flow_name": "late"})
    assert (status, err["error"]) == (503, "unavailable") and "Retry-After" in headers
    assert (await api("GET", "flow_runs"))[0] == 200  # reads still work: only the writer stopped


async def test_a_request_failing_as_the_stop_disposes_the_pool_is_503(
    api, jp_fetch, jp_serverapp, monkeypatch
):
    """A read already running when the stop begins fails inside the database layer (the pool
    invalidated under it): the mapper answers 503 because the server is stopping, not 500."""
    app = orch_app(jp_serverapp)

    def run_as_stop_begins(self: OrchHandler, route: Any, params: Any, body: Any) -> Any:
        app.stopping.set()
        raise InvalidatePoolError()

    monkeypatch.setattr(OrchHandler, "_run", run_as_stop_begins)
    status, err, headers = await fetch(jp_fetch, "GET", "flow_runs")
    assert (status, err["error"]) == (503, "unavailable") and "Retry-After" in headers


async def test_the_same_failure_when_not_stopping_stays_500(api, jp_fetch, monkeypatch):
    def run_fails(self: OrchHandler, route: Any, params: Any, body: Any) -> Any:
        raise InvalidatePoolError()

    monkeypatch.setattr(OrchHandler, "_run", run_fails)
    status, err, headers = await fetch(jp_fetch, "GET", "flow_runs")
    assert (status, err["error"]) == (500, "internal") and "Retry-After" not in headers
