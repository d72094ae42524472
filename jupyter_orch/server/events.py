"""`GET /orch/api/events`: the live event feed as a WebSocket, behind Jupyter's auth like every route.

Query parameters filter what is sent (`kind` — repeated or comma-separated: flow_run, task_run,
log, artifact — `flow_run_id`, `task_run_id`, `deployment_id`, `flow_id`). Each message is one JSON
event. The handshake completes only once the feed is armed for this subscriber, so a client that
opens the socket and then acts sees every event its action causes. A client that falls behind by
more than the queue limit gets `{"kind": "overflow", "dropped": N}` and should reload what it shows.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import ensure_async
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from jupyter_orch.orchestration.events import EventFilter, EventHub, Subscription

AUTH_RESOURCE = "orch"


class EventsHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):  # type: ignore[misc]
    auth_resource = AUTH_RESOURCE

    def initialize(self, hub: EventHub | None, arm_timeout: float = 10.0) -> None:
        self.hub = hub
        self.arm_timeout = arm_timeout
        self.subscription: Subscription | None = None
        self._pump: asyncio.Task[None] | None = None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Refusals before the upgrade (auth, a bad filter) as the REST API's JSON errors."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exc, "log_message", None) or self._reason
        codes = {401: "unauthenticated", 403: "forbidden", 422: "invalid", 503: "unavailable"}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": codes.get(status_code, "error"), "message": message}))

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        allowed = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "read", AUTH_RESOURCE)
        )
        if not allowed:
            raise web.HTTPError(403, "not authorized to read orchestration events")
        query = {
            k: [v.decode("utf-8", "replace") for v in vs] for k, vs in self.request.query_arguments.items()
        }
        try:
            flt = EventFilter.from_query(query)
        except ValueError as exc:
            raise web.HTTPError(422, str(exc)) from None
        if self.hub is None:
            raise web.HTTPError(503, "this server's database has no event feed (SQLite file or PostgreSQL)")
        self.subscription = self.hub.subscribe(flt)
        if not await self.subscription.armed(self.arm_timeout):
            self.subscription.close()
            raise web.HTTPError(503, "the event feed is not running; see the server log")
        await super().get(*args, **kwargs)
        if self.ws_connection is None:  # not an upgrade request: tornado answered 400
            self.subscription.close()

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self._pump = asyncio.ensure_future(self._send_events())

    async def _send_events(self) -> None:
        assert self.subscription is not None
        try:
            while True:
                for event in await self.subscription.get():
                    await self.write_message(json.dumps(event, default=str))
        except WebSocketClosedError:
            pass

    def on_message(self, message: str | bytes) -> None:
        """Clients only listen; anything they send is ignored."""

    def on_close(self) -> None:
        if self.subscription is not None:
            self.subscription.close()
        if self._pump is not None:
            self._pump.cancel()
