"""Where the Dask runner's task bodies meet dask.distributed: submissions batched into one graph
update, quick bodies bundled several to a Dask task, results gathered in batches.

Dask's own work per task (a graph update, the scheduler's transitions, the worker's execution
and the messages between them: about a millisecond of CPU, most of it in the process holding a
`LocalCluster`'s scheduler) is the whole cost of a trivial task. One `client.submit` and one
`.result()` per task made 1,000 trivial tasks on 4 processes take ~10 s; sending everything
waiting as one `client.map` and gathering finished results in batches took that to ~3.5 s, still
one Dask task per body. So here:

* an engine thread hands its body to `submit` and waits on a plain `Future`;
* a body whose function is known to be quick (`QUICK_SECONDS` on the worker, its value's pickling
  included, measured from its earlier runs) and has no timeout waits for a *bundle*: at most one
  bundle per cluster thread is in flight, and when one comes back everything waiting goes out,
  split over the free slots
  only where the split parts hold `SPLIT_SECONDS` of estimated work each (a Dask task costs about
  a millisecond: trivial bodies go as one bundle), each bundle one Dask task running its bodies in
  turn (`run_bodies`): the function is pickled once per bundle, the scheduler sees one task for
  many bodies;
* any other body (first runs of a function, slow ones, ones with a timeout) is sent on its own
  at once, as before: Dask places, steals and runs it as any task of its own;
* a submitter thread sends each batch as one `client.map`; a collector thread takes the Dask
  futures that finished since it last looked (done callbacks queue them) and fetches their values
  with one `client.gather`. Dask keys name the function as the dashboard groups them:
  `square-<id>`, `square-bundle-<id>`.

Within a bundle each body's value is pickled on the worker by itself and its exception captured
as Dask captures one (traceback included), so one body's unpicklable value or error is its own;
a bundle whose worker dies is run again elsewhere by Dask, its bodies with it (as Dask recomputes
any lost task). Bundles share a worker thread: a quick function's rare slow call delays its
bundle-mates, never more than that call lasts.
"""

from __future__ import annotations

import inspect
import math
import threading
import time
import types
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from distributed.core import error_message
from distributed.protocol import pickle as dask_pickle

#: a body quicker than this (seconds on the worker) costs less than Dask's own work for a task
QUICK_SECONDS = 0.005
#: the bodies' estimated time one bundle holds at most (a bundle runs on one worker thread)
BUNDLE_SECONDS = 0.05
#: the estimated work that makes waiting bodies worth a bundle each on more threads
SPLIT_SECONDS = 0.005
#: how often the cluster's thread count is asked again (it may scale)
THREADS_TTL = 5.0
#: weight of a new run in a function's running mean duration
EMA_WEIGHT = 0.3


class Body:
    """One task body handed over: its future, the call, and whether it may share a Dask task."""

    __slots__ = ("future", "fn", "args", "kwargs", "bundle")

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any], bundle: bool) -> None:
        self.future: Future = Future()
        self.fn, self.args, self.kwargs, self.bundle = fn, args, kwargs, bundle


class Sent:
    """One Dask task: a body alone, or a bundle of quick ones."""

    __slots__ = ("remote", "bodies", "bundled")

    def __init__(self, bodies: list[Body], bundled: bool) -> None:
        self.remote: Any = None
        self.bodies, self.bundled = bodies, bundled


def call_remote(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Any:
    """A plain task body on a worker (async bodies get their own loop)."""
    if inspect.iscoroutinefunction(fn):
        import asyncio  # only async bodies need it

        return asyncio.run(fn(*args, **kwargs))
    return fn(*args, **kwargs)


def run_bodies(calls: list[tuple[Callable[..., Any], tuple, dict[str, Any]]], bundled: bool) -> Any:
    """What Dask runs on a worker. A body alone: (its seconds, its value), raising as it raises.
    A bundle: per body (seconds, True, its pickled value) or (seconds, False, (exception,
    traceback) pickled as Dask pickles a task's error)."""
    if not bundled:
        ((fn, args, kwargs),) = calls
        start = time.perf_counter()
        value = call_remote(fn, args, kwargs)
        return time.perf_counter() - start, value
    outcomes = []
    for fn, args, kwargs in calls:
        start = time.perf_counter()
        try:
            payload = dask_pickle.dumps(call_remote(fn, args, kwargs))
            # pickling counted in: a quick body with a big value is not worth bundling
            outcomes.append((time.perf_counter() - start, True, payload))
        except Exception as exc:  # the body's error, or its value's refusal to pickle
            seconds = time.perf_counter() - start
            msg = error_message(exc)
            tb = msg["traceback"]
            outcomes.append((seconds, False, (msg["exception"].data, tb.data if tb is not None else None)))
    return outcomes


class DaskBridge:
    """Batches bodies to a dask `client` and resolves their futures; `close` when done."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._cond = threading.Condition()
        self._singles: list[Body] = []  # handed over, to be sent alone at once
        self._quick: list[Body] = []  # handed over, waiting for a bundle slot
        self._sent: dict[Any, Sent] = {}  # dask's future -> what it runs
        self._by_future: dict[Future, Sent] = {}  # ours -> its Dask task
        self._seconds: dict[Callable[..., Any], float] = {}  # a function's mean body time
        self._slots: int | None = None  # bundles allowed in flight (None: not asked yet)
        self._slots_at = 0.0
        self._bundles = 0  # bundles in flight
        self._done: list[Any] = []  # dask's futures finished, not yet resolved
        self._ready = threading.Event()
        self._closed = False
        self._all_sent = False  # closed, and the submitter has sent everything handed over
        self._threads = [
            threading.Thread(target=self._submit_loop, name="jupyter-orch-dask-submit", daemon=True),
            threading.Thread(target=self._collect_loop, name="jupyter-orch-dask-collect", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def submit(
        self, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any], bundle: bool = True
    ) -> Future:
        """Run `fn(*args, **kwargs)` on the cluster; a future of its value (or its exception).
        `bundle=False` (a body with a timeout) keeps it in a Dask task of its own."""
        body = Body(fn, args, kwargs, bundle)
        with self._cond:
            if self._closed:
                raise RuntimeError("The Dask task runner is shut down")
            if bundle and self._seconds.get(fn, QUICK_SECONDS) < QUICK_SECONDS:
                self._quick.append(body)
                if self._slots is None or self._bundles < self._slots:
                    self._cond.notify()
            else:
                self._singles.append(body)
                self._cond.notify()
        return body.future

    def cancel(self, future: Future) -> None:
        """Give up on `future` (its attempt timed out): dask stops or forgets its task once no
        body of it is wanted."""
        with self._cond:
            self._singles = [body for body in self._singles if body.future is not future]
            self._quick = [body for body in self._quick if body.future is not future]
            sent = self._by_future.pop(future, None)
            if sent is None or any(body.future in self._by_future for body in sent.bodies):
                return  # not sent yet, or bundle-mates still wanted
            self._forget(sent)
        sent.remote.cancel()

    def _forget(self, sent: Sent) -> None:
        """`sent` is no longer awaited (resolved or given up); under the lock."""
        if self._sent.pop(sent.remote, None) is not None and sent.bundled:
            self._bundles -= 1
            if self._quick:
                self._cond.notify()

    # -- submitter ------------------------------------------------------------------------------
    def _submit_loop(self) -> None:
        while True:
            with self._cond:
                while not self._singles and not self._quick and not self._closed:
                    self._cond.wait()
                if not self._singles and not self._quick:
                    break
                stale = self._quick and time.monotonic() - self._slots_at > THREADS_TTL
            if stale:
                self._count_slots()
            with self._cond:
                batch = self._take()
                if not batch:  # quick bodies only, every slot taken: until a bundle comes back
                    self._cond.wait()
                    continue
            self._send(batch)
        with self._cond:
            self._all_sent = True
        self._ready.set()  # the collector may be waiting for this

    def _count_slots(self) -> None:
        try:
            threads = sum(self.client.nthreads().values())
        except Exception:  # the scheduler is away: keep the last count, ask again later
            threads = 0
        with self._cond:
            if threads or self._slots is None:
                self._slots = max(threads, 1)  # a bundle per thread (Dask queues ~1.1 tasks a thread)
            self._slots_at = time.monotonic()

    def _take(self) -> list[Sent]:
        """What goes now (under the lock): every single, and the waiting quick bodies in bundles
        over the free slots (see the module's docstring), none over `BUNDLE_SECONDS` of their
        estimated time."""
        batch = [Sent([body], False) for body in self._singles]
        self._singles = []
        free = (self._slots or 1) - self._bundles
        if self._quick and free > 0:
            costs = [self._seconds.get(body.fn, QUICK_SECONDS) for body in self._quick]
            parts = min(free, len(costs), max(1, math.ceil(sum(costs) / SPLIT_SECONDS)))
            size = math.ceil(len(costs) / parts)
            bundles: list[Sent] = []
            current: list[Body] = []
            budget = 0.0
            for k, (body, cost) in enumerate(zip(self._quick, costs, strict=True)):
                if current and (len(current) >= size or budget + cost > BUNDLE_SECONDS):
                    bundles.append(Sent(current, True))
                    current, budget = [], 0.0
                    if len(bundles) == free:
                        self._quick = self._quick[k:]
                        break
                current.append(body)
                budget += cost
            else:
                bundles.append(Sent(current, True))
                self._quick = []
            self._bundles += len(bundles)
            batch += bundles
        return batch

    def _send(self, batch: list[Sent]) -> None:
        try:
            remotes = self.client.map(
                run_bodies,
                [[(body.fn, body.args, body.kwargs) for body in sent.bodies] for sent in batch],
                [sent.bundled for sent in batch],
                key=[_key(sent) for sent in batch],
            )
        except BaseException as exc:  # the client is closed, a body does not pickle, ...
            self._refused(batch, exc)
            return
        with self._cond:
            for sent, remote in zip(batch, remotes, strict=True):
                sent.remote = remote
                self._sent[remote] = sent
                for body in sent.bodies:
                    self._by_future[body.future] = sent
        for remote in remotes:
            remote.add_done_callback(self._on_done)

    def _refused(self, batch: list[Sent], exc: BaseException) -> None:
        """`client.map` refused `batch`: each body on its own, so only the one at fault fails."""
        if len(batch) == 1 and len(batch[0].bodies) == 1 and not batch[0].bundled:
            batch[0].bodies[0].future.set_exception(exc)
            return
        with self._cond:
            self._bundles -= sum(sent.bundled for sent in batch)
            self._cond.notify()
        for sent in batch:
            for body in sent.bodies:
                self._send([Sent([body], False)])

    def _on_done(self, remote: Any) -> None:  # on dask's callback thread: queue it, no more
        with self._cond:
            self._done.append(remote)
        self._ready.set()

    # -- collector ------------------------------------------------------------------------------
    def _collect_loop(self) -> None:
        while True:
            with self._cond:
                if self._all_sent and not self._sent and not self._done:
                    return  # closed, everything sent, everything resolved
            self._ready.wait()
            with self._cond:
                self._ready.clear()
                done, self._done = self._done, []
            if done:
                self._resolve(done)

    def _claim(self, done: list[Any]) -> list[Sent]:
        """What `done`'s Dask futures ran, no longer in flight; the ones given up left out."""
        with self._cond:
            sents = [sent for sent in map(self._sent.get, done) if sent is not None]
            for sent in sents:
                self._forget(sent)
                for body in sent.bodies:
                    self._by_future.pop(body.future, None)
        return sents

    def _resolve(self, done: list[Any]) -> None:
        sents = self._claim(done)
        finished = [sent for sent in sents if sent.remote.status == "finished"]
        try:
            values = self.client.gather([sent.remote for sent in finished]) if finished else []
        except BaseException:  # one of them lost or failed after all: each on its own below
            values = None
        if values is not None:
            for sent, value in zip(finished, values, strict=True):
                self._deliver(sent, value)
        for sent in sents:
            if any(not body.future.done() for body in sent.bodies):
                self._settle(sent)

    def _deliver(self, sent: Sent, value: Any) -> None:
        """Resolve `sent`'s bodies from its Dask task's value (see `run_bodies`)."""
        if not sent.bundled:
            seconds, result = value
            self._timed(sent.bodies[0].fn, seconds)
            _set(sent.bodies[0].future, result)
            return
        for body, (seconds, ok, payload) in zip(sent.bodies, value, strict=True):
            self._timed(body.fn, seconds)
            if ok:
                try:
                    result = dask_pickle.loads(payload)
                except Exception as exc:  # pickled on the worker, not loadable here
                    body.future.set_exception(exc)
                    continue
                _set(body.future, result)
            elif not body.future.done():
                body.future.set_exception(_error(*payload))

    def _settle(self, sent: Sent) -> None:
        """`sent`'s bodies from its Dask task alone: its value, or what it raised."""
        try:
            value = sent.remote.result()
        except BaseException as exc:
            for body in sent.bodies:
                if not body.future.done():
                    body.future.set_exception(exc)
            return
        self._deliver(sent, value)

    def _timed(self, fn: Callable[..., Any], seconds: float) -> None:
        old = self._seconds.get(fn)
        self._seconds[fn] = seconds if old is None else old + EMA_WEIGHT * (seconds - old)

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


def _key(sent: Sent) -> str:
    """A Dask key named as the dashboard groups it: `square-<id>`, `square-bundle-<id>`."""
    name = getattr(sent.bodies[0].fn, "__name__", "task")
    return f"{name}-bundle-{uuid.uuid4().hex}" if sent.bundled else f"{name}-{uuid.uuid4().hex}"


def _set(future: Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _error(exc_bytes: bytes, tb_bytes: bytes | None) -> BaseException:
    """A bundled body's exception from the worker, with its traceback where that came through."""
    try:
        error = dask_pickle.loads(exc_bytes)
    except Exception:
        error = Exception(repr(exc_bytes))
    try:
        tb = dask_pickle.loads(tb_bytes) if tb_bytes is not None else None
    except Exception:
        tb = None
    if not isinstance(error, BaseException):
        error = Exception(repr(error))
    return error.with_traceback(tb) if isinstance(tb, types.TracebackType) else error
