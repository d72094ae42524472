"""Waiting for changes instead of sleeping: `EventWatcher` wakes its caller when an event that
matches its filter commits (a run's state, a log line, an artifact).

Over HTTP it holds the server's event WebSocket (`/orch/api/events`, Jupyter token); against the
database it reads the same feed the server does, in this process. Callers still bound each wait
(`wait(timeout)`), so a lost connection degrades to polling at that interval, never to a hang.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any
from urllib.parse import urlencode

from jupyter_orch.api import PREFIX
from jupyter_orch.settings import get_settings


class EventWatcher:
    """A background thread on the event stream; `wait()` returns True when events came since."""

    def __init__(self, kinds: list[str] | None = None, **filters: str | None) -> None:
        self.query: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        if kinds:
            self.query["kind"] = ",".join(kinds)
        self.changed = threading.Event()
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._main, name="jupyter-orch-events", daemon=True)
        self._thread.start()

    def ready(self, timeout: float = 10.0) -> bool:
        """Wait until the stream is live (every commit from now on is seen); read the current
        state after this, so no change between that read and the first `wait` is missed."""
        return self.connected.wait(timeout)

    def wait(self, timeout: float) -> bool:
        """Block until an event arrives or `timeout` passes; True if there was one."""
        hit = self.changed.wait(timeout)
        self.changed.clear()
        return hit

    def close(self) -> None:
        self._stop.set()  # the thread looks at it at least every half second
        self._thread.join(5)

    def __enter__(self) -> EventWatcher:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()

    # -- the thread ------------------------------------------------------------------------------
    def _main(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            settings = get_settings()
            if settings.api_url:
                self._loop.run_until_complete(self._over_http(settings.api_url, settings.api_token))
            else:
                self._loop.run_until_complete(self._in_process(settings.database_url))
        except Exception:  # no stream: callers keep polling at their own interval
            pass
        finally:
            self._loop.close()

    async def _over_http(self, api_url: str, token: str | None) -> None:
        from tornado.httpclient import HTTPRequest  # tornado comes with jupyter_server
        from tornado.websocket import websocket_connect

        root = api_url.rstrip("/")
        root = root[: -len(PREFIX)] if root.endswith(PREFIX) else root
        url = root.replace("http", "ws", 1) + PREFIX + "/events"
        if self.query:
            url += "?" + urlencode(self.query)
        headers = {"Authorization": f"token {token}"} if token else {}
        while not self._stop.is_set():
            try:
                conn = await websocket_connect(HTTPRequest(url, headers=headers), connect_timeout=10)
            except Exception:
                await asyncio.sleep(1.0)  # the server is restarting: try again
                continue
            self.connected.set()
            while not self._stop.is_set():
                try:
                    message = await asyncio.wait_for(conn.read_message(), 0.5)
                except asyncio.TimeoutError:
                    continue
                if message is None:
                    break  # closed by the server: reconnect
                if json.loads(message):
                    self.changed.set()
            conn.close()
            self.connected.clear()

    async def _in_process(self, database_url: str) -> None:
        # heavy: the database's event feeds (psycopg, SQLAlchemy), only with no server to ask
        from jupyter_orch.orchestration.events import EventFilter, EventHub, open_feed

        hub = EventHub()
        feed = open_feed(database_url, hub).start()
        kinds = self.query.get("kind")
        flt = EventFilter(
            kinds=frozenset(kinds.split(",")) if kinds else None,
            **{k: v for k, v in self.query.items() if k != "kind"},
        )
        sub = hub.subscribe(flt, asyncio.get_running_loop())
        try:
            if await sub.armed(10):
                self.connected.set()
            while not self._stop.is_set():
                if await sub.get(timeout=0.5):
                    self.changed.set()
        finally:
            sub.close()
            feed.stop()
