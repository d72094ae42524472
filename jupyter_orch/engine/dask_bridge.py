"""Where the Dask runner's task bodies meet dask.distributed: submissions batched into one graph
update, results gathered in batches as they finish.

One `client.submit` per task costs the scheduler one graph update, and one `.result()` per task
costs the flow a round-trip through the client's event loop; with many small tasks those, not
the tasks, were the run's time (1,000 trivial tasks on 4 processes: ~10 s). Here an engine
thread hands its body to `submit` and waits on a plain `Future`: a submitter
thread sends every body waiting as one `client.map` (one graph, the task function pickled once),
and a collector thread takes the futures that finished since it last looked (dask's done
callbacks queue them) and fetches their values with one `client.gather` per batch.

What Dask does to a future is unchanged: a task whose worker dies is run again elsewhere (the
future just stays pending), a task that raises resolves with its exception.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

Body = tuple[Future, Callable[..., Any], tuple, dict[str, Any]]


def call_remote(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Any:
    """What dask runs on a worker: the plain task body (async bodies get their own loop)."""
    if inspect.iscoroutinefunction(fn):
        import asyncio  # only async bodies need it

        return asyncio.run(fn(*args, **kwargs))
    return fn(*args, **kwargs)


class DaskBridge:
    """Batches bodies to a dask `client` and resolves their futures; `close` when done."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._cond = threading.Condition()
        self._waiting: list[Body] = []  # handed over, not yet sent
        self._remote: dict[Future, Any] = {}  # sent: ours -> dask's
        self._local: dict[Any, Future] = {}  # dask's -> ours
        self._done: list[Any] = []  # dask's futures finished, not yet resolved
        self._ready = threading.Event()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._submit_loop, name="jupyter-orch-dask-submit", daemon=True),
            threading.Thread(target=self._collect_loop, name="jupyter-orch-dask-collect", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Future:
        """Run `fn(*args, **kwargs)` on the cluster; a future of its value (or its exception)."""
        future: Future = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("The Dask task runner is shut down")
            self._waiting.append((future, fn, args, kwargs))
            self._cond.notify()
        return future

    def cancel(self, future: Future) -> None:
        """Give up on `future` (its attempt timed out): dask stops or forgets its task."""
        with self._cond:
            self._waiting = [body for body in self._waiting if body[0] is not future]
            remote = self._remote.pop(future, None)
            if remote is not None:
                self._local.pop(remote, None)
        if remote is not None:
            remote.cancel()

    # -- submitter: everything waiting, as one graph -------------------------------------------
    def _submit_loop(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._closed:
                    self._cond.wait()
                if not self._waiting:
                    return
                batch, self._waiting = self._waiting, []
            self._send(batch)

    def _send(self, batch: list[Body]) -> None:
        try:
            remotes = self.client.map(
                call_remote,
                [body[1] for body in batch],
                [body[2] for body in batch],
                [body[3] for body in batch],
                pure=False,
            )
        except BaseException as exc:  # the client is closed, a body does not pickle, ...
            if len(batch) > 1:  # each on its own: only the body at fault fails with it
                for body in batch:
                    self._send([body])
                return
            batch[0][0].set_exception(exc)
            return
        with self._cond:
            for body, remote in zip(batch, remotes, strict=True):
                self._remote[body[0]] = remote
                self._local[remote] = body[0]
        for remote in remotes:
            remote.add_done_callback(self._on_done)

    def _on_done(self, remote: Any) -> None:  # on dask's callback thread: queue it, no more
        with self._cond:
            self._done.append(remote)
        self._ready.set()

    # -- collector: finished futures in batches, values in one gather each ---------------------
    def _collect_loop(self) -> None:
        while True:
            with self._cond:
                if self._closed and not self._local and not self._done:
                    return
            self._ready.wait()
            with self._cond:
                self._ready.clear()
                done, self._done = self._done, []
            if done:
                self._resolve(done)

    def _resolve(self, done: list[Any]) -> None:
        with self._cond:
            pairs = [(remote, self._local.pop(remote, None)) for remote in done]
            for _, future in pairs:
                self._remote.pop(future, None)
        pairs = [(remote, future) for remote, future in pairs if future is not None]  # not cancelled
        finished = [pair for pair in pairs if pair[0].status == "finished"]
        try:
            values = self.client.gather([remote for remote, _ in finished]) if finished else []
        except BaseException:  # one of them lost or failed after all: each on its own below
            values = None
        if values is not None:
            for (_, future), value in zip(finished, values, strict=True):
                future.set_result(value)
        for remote, future in pairs:
            if not future.done():
                _settle(remote, future)

    def close(self, wait: bool = True) -> None:
        """No more submissions; with `wait`, return once what was handed over is resolved (or
        given up)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._ready.set()
        if wait:
            for thread in self._threads:
                thread.join()


def _settle(remote: Any, future: Future) -> None:
    """`future` from dask's `remote` alone: its value, or what it raised (its own exception)."""
    try:
        future.set_result(remote.result())
    except BaseException as exc:
        future.set_exception(exc)
