"""Fewer passes of Python's cyclic garbage collector while a task runner works through a large
backlog of runs (a flow mapping 100,000 tasks).

Why: every submitted run keeps a few container objects alive until its flow returns (its future,
engine, states), so the heap grows by about six tracked objects a run. CPython makes a full
collection whenever the objects that survived grow by a quarter, and each one traverses them
all: nine full passes over a 100,000-task map, about 20% of its CPU time, that free nothing.

So while any pool of this process has `BACKLOG` or more runs in flight, full collections wait
(threshold 2 raised) and young ones run less often (threshold 0 raised); young cyclic garbage is
still collected. The thresholds come back when the last such backlog drains, unless something
else changed them meanwhile. A collector switched off (`gc.disable()`, threshold 0) is left so.
"""

from __future__ import annotations

import gc
import os
import threading

#: runs in flight in one pool from which it relaxes the collector
BACKLOG = 1_000
_YOUNG = 5_000  # threshold 0 while relaxed (CPython's default: 700)
_FULL = 1_000  # threshold 2: a full pass after this many gen-1 passes (default: 10)

_lock = threading.Lock()
_holders = 0
_saved: tuple[int, ...] | None = None
_relaxed: tuple[int, ...] | None = None


def relax() -> None:
    """A backlog began: relax the thresholds (the first holder does); pair with `restore()`."""
    global _holders, _saved, _relaxed
    with _lock:
        _holders += 1
        if _holders == 1:
            saved = _saved = gc.get_threshold()
            if saved[0] == 0:  # automatic collection is off: nothing to relax
                _relaxed = None
                return
            _relaxed = (max(saved[0], _YOUNG), saved[1], max(saved[2], _FULL))
            gc.set_threshold(*_relaxed)


def restore() -> None:
    """A backlog drained: the thresholds as they were once no backlog is left."""
    global _holders, _saved, _relaxed
    with _lock:
        _holders -= 1
        if _holders == 0:
            if _relaxed is not None and _saved is not None and gc.get_threshold() == _relaxed:
                gc.set_threshold(*_saved)
            _saved = _relaxed = None


def is_relaxed() -> bool:
    """Whether a backlog holds the collector relaxed now."""
    return _holders > 0


def _reset_in_child() -> None:
    """A forked child has none of its parent's pools (nor their backlogs to drain): the
    thresholds as they were before them, and a lock no parent thread can be holding."""
    global _lock, _holders, _saved, _relaxed
    _lock = threading.Lock()
    if _holders and _relaxed is not None and _saved is not None and gc.get_threshold() == _relaxed:
        gc.set_threshold(*_saved)
    _holders, _saved, _relaxed = 0, None, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)
