"""Live views of flow runs for notebooks: `%orch run` and `%orch runs` display these.

A view refreshes in a background thread when the live event stream reports a change to what it
shows (polling at its interval only as a fallback) and updates ipywidgets (state, a progress bar of
the notebook's cells) whose traits sync to the frontend from any thread. Every view also has a
`text/plain` form, sent in the same display bundle: frontends without widget support (nbconvert,
a terminal, GitHub's renderer) show that instead, and the display is updated with it once the
runs end, so a saved notebook records the final states.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from html import escape
from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.client.events import EventWatcher
from jupyter_orch.timefmt import human_time

__all__ = ["RunView", "RunsView", "progress_of", "run_line"]

FINAL = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
_BAR_STYLE = {"COMPLETED": "success", "FAILED": "danger", "CRASHED": "danger", "CANCELLED": "warning"}


def _api() -> Any:
    return get_client()


def progress_of(run: dict[str, Any]) -> tuple[int, int]:
    """(cells done, cells) of a notebook run's progress; (0, 0) when it reports none."""
    progress = run.get("progress")
    if not isinstance(progress, dict) or not progress.get("cells"):
        return 0, 0
    done = len(progress.get("durations") or [])
    return min(done, int(progress["cells"])), int(progress["cells"])


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else 0
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total} cells"


def run_when(run: dict[str, Any]) -> str:
    """When the run started (or is expected to), as people read it: '14:03:10 (2 min ago)'."""
    return human_time(run.get("start_time") or run.get("expected_start_time"))


def run_line(run: dict[str, Any]) -> str:
    """One line of text for a run: name, flow, state, when, progress and output notebook."""
    done, total = progress_of(run)
    parts = [f"{run.get('flow_name')}/{run.get('name')}", run.get("state_name") or run.get("state_type")]
    if run_when(run):
        parts.append(run_when(run))
    if total:
        parts.append(_bar(done, total))
    if run.get("output_location"):
        parts.append(f"output: {run['output_location']}")
    return "  ".join(str(p) for p in parts)


def _widgets_available() -> bool:
    """True inside a kernel (where a frontend may render widgets) with ipywidgets installed."""
    try:
        # optional: ipywidgets and IPython, only to ask whether a kernel can show widgets
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class _Poller:
    """Calls `refresh()` in a daemon thread until it returns True: at once when the live event
    stream reports a change matching `watch` (a filter), else every `interval` seconds."""

    def __init__(
        self,
        refresh: Callable[[], bool],
        interval: float,
        timeout: float | None,
        watch: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self._refresh = refresh
        self.interval = interval
        self.timeout = timeout
        self._watch = watch
        self.done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="jupyter-orch-view", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        watcher = EventWatcher(**self._watch()) if self._watch is not None else None
        if watcher is not None:
            watcher.ready()
        try:
            while not self.done.is_set():
                try:
                    if self._refresh():
                        return
                except Exception:  # the server restarting must not kill the view; try again
                    pass
                if deadline is not None and time.monotonic() > deadline:
                    return
                if watcher is not None:
                    watcher.wait(self.interval)
                else:
                    self.done.wait(self.interval)
        finally:
            self.done.set()
            if watcher is not None:
                watcher.close()


class _View:
    """Shared display plumbing: widget built lazily, text/plain always, display handle updates."""

    def __init__(self, interval: float, timeout: float | None, client: Any) -> None:
        self.client = client or _api()
        self._widget: Any = None
        self._handle: Any = None
        self._lock = threading.Lock()
        self._poller = _Poller(self._tick, interval, timeout, self.watch_filter)

    # subclasses: fetch() -> bool (finished), text() -> str, _build() -> widget, _sync()
    def watch_filter(self) -> dict[str, Any]:
        """The events that should refresh the view at once (keyword arguments of EventWatcher)."""
        return {"kinds": ["flow_run"]}

    def fetch(self) -> bool:
        raise NotImplementedError

    def text(self) -> str:
        raise NotImplementedError

    def _tick(self) -> bool:
        finished = self.fetch()
        with self._lock:
            if self._widget is not None:
                self._sync()
        if finished and self._handle is not None:
            self._handle.update(self)  # the final text/plain for frontends without widgets
        return finished

    @property
    def widget(self) -> Any:
        """The ipywidgets view, or None where widgets cannot be shown."""
        with self._lock:
            if self._widget is None and _widgets_available():
                self._widget = self._build()
                self._sync()
            return self._widget

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {}
        widget = self.widget
        if widget is not None:
            bundle.update(widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = self.text()
        return bundle

    def __repr__(self) -> str:
        return self.text()

    def show(self) -> _View:
        """Display the view and keep it live until its runs end."""
        # heavy: IPython, only when a view is shown
        from IPython.display import display

        self._handle = display(self, display_id=True)
        self._poller.start()
        return self

    def start(self) -> _View:
        """Poll without displaying (scripts, tests)."""
        self._poller.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the polling ends (the runs finished or the view's timeout passed)."""
        return self._poller.done.wait(timeout)

    def stop(self) -> None:
        self._poller.done.set()


class RunView(_View):
    """One flow run: its state, a progress bar over the notebook's cells, the output notebook."""

    def __init__(
        self,
        run: dict[str, Any],
        interval: float = 0.5,
        timeout: float | None = 24 * 3600,
        client: Any = None,
    ) -> None:
        super().__init__(interval, timeout, client)
        self.run = run

    @property
    def state_type(self) -> str:
        return str(self.run.get("state_type"))

    def watch_filter(self) -> dict[str, Any]:
        return {"kinds": ["flow_run"], "flow_run_id": self.run["id"]}

    def fetch(self) -> bool:
        self.run = self.client.get(f"flow_runs/{self.run['id']}")
        return self.state_type in FINAL

    def text(self) -> str:
        line = run_line(self.run)
        message = self.run.get("state_message")
        if message and self.state_type in FINAL - {"COMPLETED"}:
            line += "\n" + str(message).strip().splitlines()[0]
        return line

    def _build(self) -> Any:
        # optional: ipywidgets, only in a kernel that has it
        import ipywidgets as w

        self._label = w.HTML()
        self._bar = w.IntProgress(min=0, max=1, value=0, layout=w.Layout(width="50%"))
        self._detail = w.HTML()
        return w.VBox([self._label, self._bar, self._detail])

    def _sync(self) -> None:
        run = self.run
        done, total = progress_of(run)
        state = run.get("state_name") or run.get("state_type")
        self._label.value = (
            f"<b>{escape(str(run.get('flow_name')))}/{escape(str(run.get('name')))}</b> "
            f"&nbsp;<code>{escape(str(state))}</code>"
        )
        self._bar.max = max(total, 1)
        self._bar.value = done if total else (1 if self.state_type in FINAL else 0)
        self._bar.description = f"{done}/{total}" if total else ""
        self._bar.bar_style = _BAR_STYLE.get(self.state_type, "info")
        detail = []
        if run.get("output_location"):
            detail.append(f"output: <code>{escape(run['output_location'])}</code>")
        if run.get("state_message") and self.state_type in FINAL - {"COMPLETED"}:
            detail.append(f"<pre>{escape(str(run['state_message'])[:2000])}</pre>")
        self._detail.value = "<br>".join(detail)


class RunsView(_View):
    """The newest flow runs (optionally of one flow or deployment), refreshed while any runs."""

    def __init__(
        self,
        limit: int = 10,
        interval: float = 1.0,
        timeout: float | None = 3600,
        client: Any = None,
        **filters: Any,
    ) -> None:
        super().__init__(interval, timeout, client)
        self.limit = limit
        self.filters = {k: v for k, v in filters.items() if v is not None}
        self.runs: list[dict[str, Any]] = []

    def watch_filter(self) -> dict[str, Any]:
        return {"kinds": ["flow_run"], "deployment_id": self.filters.get("deployment_id")}

    def fetch(self) -> bool:
        self.runs = self.client.get("flow_runs", limit=self.limit, **self.filters)["items"]
        return all(r.get("state_type") in FINAL | {"SCHEDULED"} for r in self.runs)

    def text(self) -> str:
        if not self.runs:
            return "no flow runs"
        return "\n".join(run_line(r) for r in self.runs)

    def _build(self) -> Any:
        # optional: ipywidgets, only in a kernel that has it
        import ipywidgets as w

        self._table = w.HTML()
        return w.VBox([self._table])

    def _sync(self) -> None:
        rows = []
        for run in self.runs:
            done, total = progress_of(run)
            bar = f'<progress value="{done}" max="{total}"></progress> {done}/{total}' if total else ""
            rows.append(
                "<tr>"
                f"<td>{escape(str(run.get('flow_name')))}</td><td>{escape(str(run.get('name')))}</td>"
                f"<td><code>{escape(str(run.get('state_name')))}</code></td><td>{bar}</td>"
                f"<td>{escape(run_when(run))}</td>"
                "</tr>"
            )
        head = "<tr><th>flow</th><th>run</th><th>state</th><th>progress</th><th>start</th></tr>"
        self._table.value = f"<table>{head}{''.join(rows)}</table>" if rows else "<i>no flow runs</i>"
