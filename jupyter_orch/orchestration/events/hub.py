"""Fan-out of committed events to subscribers, each with a filter and a bounded queue.

The feed thread publishes; a subscriber lives on an asyncio loop (a WebSocket handler), so each
batch crosses threads once per subscriber (`call_soon_threadsafe`), not once per event. A slow
subscriber never slows the feed or other subscribers: past its queue limit the oldest events are
dropped and the subscriber is told how many (so a page can reload what it shows).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]
log = logging.getLogger("jupyter_orch.events")

#: what the feed reports; a filter names a subset
KINDS = ("flow_run", "task_run", "log", "artifact")


@dataclass(frozen=True)
class EventFilter:
    """Which events a subscriber wants: every field given must match (None: any)."""

    kinds: frozenset[str] | None = None
    flow_run_id: str | None = None
    task_run_id: str | None = None
    deployment_id: str | None = None
    flow_id: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, list[str]]) -> EventFilter:
        """From query parameters (`kind` repeated or comma-separated); unknown kinds are refused."""
        kinds: set[str] = set()
        for value in query.get("kind", []):
            kinds.update(k.strip() for k in value.split(",") if k.strip())
        unknown = sorted(kinds - set(KINDS))
        if unknown:
            raise ValueError(f"kind: unknown event kind {unknown[0]!r} (one of {', '.join(KINDS)})")

        def one(name: str) -> str | None:
            values = query.get(name) or [None]
            return values[-1] or None

        return cls(
            kinds=frozenset(kinds) or None,
            flow_run_id=one("flow_run_id"),
            task_run_id=one("task_run_id"),
            deployment_id=one("deployment_id"),
            flow_id=one("flow_id"),
        )

    def matches(self, event: Event) -> bool:
        if self.kinds is not None and event["kind"] not in self.kinds:
            return False
        for name in ("flow_run_id", "task_run_id", "deployment_id", "flow_id"):
            wanted = getattr(self, name)
            if wanted is not None and event.get(name) != wanted:
                return False
        return True


class Subscription:
    """One subscriber's queue on its own loop; `get()` waits for the next events."""

    def __init__(self, hub: EventHub, flt: EventFilter, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.hub = hub
        self.filter = flt
        self._loop = loop
        self._limit = limit
        self._queue: deque[Event] = deque()
        self._ready = asyncio.Event()
        self._armed = asyncio.Event()
        self.dropped = 0

    async def armed(self, timeout: float) -> bool:
        """Wait until the feed reads every commit from now on (True), or `timeout` passes."""
        try:
            await asyncio.wait_for(self._armed.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    def _deliver(self, events: list[Event]) -> None:  # on the subscriber's loop
        self._queue.extend(events)
        while len(self._queue) > self._limit:
            self._queue.popleft()
            self.dropped += 1
        self._ready.set()

    async def get(self, timeout: float | None = None) -> list[Event]:
        """The events queued so far (waiting up to `timeout` for one); an `overflow` event first
        when some were dropped."""
        if not self._queue:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except asyncio.TimeoutError:
                return []
        out = list(self._queue)
        self._queue.clear()
        if self.dropped:
            out.insert(0, {"kind": "overflow", "dropped": self.dropped})
            self.dropped = 0
        return out

    def close(self) -> None:
        self.hub.unsubscribe(self)


class EventHub:
    """Subscribers and their filters; `publish` is called from the feed's thread."""

    def __init__(self, queue_limit: int = 10_000) -> None:
        self.queue_limit = queue_limit
        self._lock = threading.Lock()
        self._subs: tuple[Subscription, ...] = ()
        self._unarmed: list[Subscription] = []
        self._listeners: tuple[Callable[[list[Event]], None], ...] = ()

    def subscribe(self, flt: EventFilter, loop: asyncio.AbstractEventLoop | None = None) -> Subscription:
        """A new subscriber; `await sub.armed(...)` before relying on seeing every later commit."""
        sub = Subscription(self, flt, loop or asyncio.get_running_loop(), self.queue_limit)
        with self._lock:
            self._subs = (*self._subs, sub)
            self._unarmed.append(sub)
        return sub

    def arm_pending(self) -> None:
        """Called by the feed once it is certain to see every commit from now on."""
        if not self._unarmed:
            return
        with self._lock:
            pending, self._unarmed = self._unarmed, []
        for sub in pending:
            with contextlib.suppress(RuntimeError):  # its loop is closed: the subscriber is gone
                sub._loop.call_soon_threadsafe(sub._armed.set)

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs = tuple(s for s in self._subs if s is not sub)
            self._unarmed = [s for s in self._unarmed if s is not sub]

    def listen(self, callback: Callable[[list[Event]], None]) -> Callable[[], None]:
        """Call `callback(events)` on the feed's thread with every batch (it must be quick: e.g.
        set a `threading.Event`), for in-process services such as the local worker that wake on
        a change instead of polling; returns the function that stops it."""
        with self._lock:
            self._listeners = (*self._listeners, callback)

        def stop() -> None:
            with self._lock:
                self._listeners = tuple(c for c in self._listeners if c is not callback)

        return stop

    @property
    def active(self) -> bool:
        return bool(self._subs) or bool(self._listeners)

    def publish(self, events: Iterable[Event]) -> None:
        subs, listeners = self._subs, self._listeners
        if not subs and not listeners:
            return
        events = list(events)
        for callback in listeners:
            try:
                callback(events)
            except Exception:  # a listener's failure never stops the feed
                log.exception("an event listener failed")
        for sub in subs:
            mine = [e for e in events if sub.filter.matches(e)]
            if mine:
                try:
                    sub._loop.call_soon_threadsafe(sub._deliver, mine)
                except RuntimeError:  # its loop is closed: the subscriber is gone
                    self.unsubscribe(sub)
