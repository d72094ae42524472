"""Futures of task runs, as Prefect's `prefect.futures`: `PrefectFuture`, `PrefectFutureList`
(what `Task.map` returns), `wait(futures, timeout)`, `as_completed(futures, timeout)` and the
helpers that resolve futures inside values."""

from jupyter_orch.engine.background import PrefectDistributedFuture
from jupyter_orch.engine.futures import (
    DoneAndNotDoneFutures,
    PrefectConcurrentFuture,
    PrefectFuture,
    PrefectFutureList,
    PrefectWrappedFuture,
    as_completed,
    resolve_futures_to_results,
    resolve_futures_to_states,
    wait,
)

__all__ = [
    "DoneAndNotDoneFutures",
    "PrefectConcurrentFuture",
    "PrefectDistributedFuture",
    "PrefectFuture",
    "PrefectFutureList",
    "PrefectWrappedFuture",
    "as_completed",
    "resolve_futures_to_results",
    "resolve_futures_to_states",
    "wait",
]
