"""The feed thread's common part: start/stop, reconnecting after an error, and the run lookup
that puts deployment and flow ids on every event (so a page can follow one deployment)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from jupyter_orch.orchestration.events.hub import Event, EventHub

log = logging.getLogger("jupyter_orch.events")

RunIds = tuple[str | None, str | None]  # (flow_id, deployment_id)


def iso(value: Any) -> str | None:
    """A stored timestamp as ISO 8601 in UTC, whichever way the database returned it."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    text = str(value).replace(" ", "T")
    return text if ("+" in text[10:] or text.endswith("Z")) else text + "+00:00"


class Feed:
    """A thread that turns committed rows into events for `hub`; subclasses read the database."""

    name = "feed"

    def __init__(self, hub: EventHub, interval: float) -> None:
        self.hub = hub
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._runs: OrderedDict[str, RunIds] = OrderedDict()
        self.published = 0
        self.errors = 0

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> Feed:
        self._thread = threading.Thread(target=self._main, name=f"jupyter-orch-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.close()

    def _main(self) -> None:
        while not self._stop.is_set():
            try:
                self.run()
            except Exception:  # a lost connection or a locked file: log, wait, reconnect
                self.errors += 1
                log.exception("jupyter_orch: the event feed failed; reconnecting")
                self.close()
                self._stop.wait(max(self.interval, 1.0))

    def run(self) -> None:  # until stopped or an error
        raise NotImplementedError

    def close(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {"kind": self.name, "published": self.published, "errors": self.errors}

    # -- events ---------------------------------------------------------------------------------
    def emit(self, events: list[Event]) -> None:
        if not events:
            return
        missing = {
            e["flow_run_id"] for e in events if e.get("flow_run_id") and e["flow_run_id"] not in self._runs
        }
        if missing:
            for run_id, ids in self.lookup_runs(sorted(missing)).items():
                self.remember(run_id, ids)
        for e in events:
            ids = self._runs.get(e.get("flow_run_id") or "")
            if ids is not None:
                e.setdefault("flow_id", ids[0])
                e.setdefault("deployment_id", ids[1])
        self.published += len(events)
        self.hub.publish(events)

    def remember(self, run_id: str, ids: RunIds) -> None:
        self._runs[run_id] = ids
        self._runs.move_to_end(run_id)
        while len(self._runs) > 50_000:
            self._runs.popitem(last=False)

    def lookup_runs(self, run_ids: Iterable[str]) -> dict[str, RunIds]:
        """(flow_id, deployment_id) of each run id (those it finds)."""
        raise NotImplementedError
