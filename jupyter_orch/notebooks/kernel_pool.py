"""Warm kernel pool: kernels started ahead of time so a notebook run skips kernel start-up.

Starting an ipykernel costs about a second, most of a trivial scheduled notebook's run time.
Kernels are handed out once and never reused, because a used kernel carries the previous
run's namespace, imports and working directory; the executor shuts a kernel down after its
run and the pool starts a replacement in its background thread.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque

from jupyter_client import KernelManager

__all__ = ["KernelPool", "start_ready_kernel"]

log = logging.getLogger(__name__)

# nbclient gives its kernels an in-memory history so concurrent kernels don't fight over the
# IPython history SQLite file; pooled kernels must behave the same.
_KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]


def start_ready_kernel(
    kernel_name: str = "python3", startup_timeout: float = 60, cwd: str | None = None
) -> KernelManager:
    """Start a kernel and wait until it answers `kernel_info`; shut it down if it never does.

    A synchronous `KernelManager` is used on purpose: it carries no asyncio objects bound to
    the starting thread's loop, so another thread can run notebooks on it.
    """
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(extra_arguments=list(_KERNEL_ARGS), cwd=cwd or os.getcwd())
    kc = km.blocking_client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=startup_timeout)
    except BaseException:
        km.shutdown_kernel(now=True)
        raise
    finally:
        kc.stop_channels()
    return km


class KernelPool:
    """Keeps `size` started, ready kernels of `kernel_name`; `size=0` turns pooling off.

    `acquire()` never blocks on a warm kernel being prepared: it takes a ready one, or starts
    one itself when the pool is empty or off. Callers own what they acquire and must shut it
    down (the executor does so after a run).
    """

    def __init__(
        self, kernel_name: str = "python3", size: int = 1, startup_timeout: float = 60, cwd: str | None = None
    ) -> None:
        self.kernel_name = kernel_name
        self.size = max(0, size)
        self.startup_timeout = startup_timeout
        self.cwd = cwd
        self._ready: deque[KernelManager] = deque()
        self._closed = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        if self.size:
            self._thread = threading.Thread(target=self._fill, name=f"kernel-pool-{kernel_name}", daemon=True)
            self._thread.start()

    @property
    def available(self) -> int:
        """Warm kernels ready to hand out right now."""
        with self._cond:
            return len(self._ready)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the pool holds `size` warm kernels (for start-up and tests)."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._ready) >= self.size or self._closed, timeout)

    def acquire(self) -> KernelManager:
        """A fresh, started kernel that nobody else has used."""
        with self._cond:
            if self._closed:
                raise RuntimeError("kernel pool is shut down")
            while self._ready:
                km = self._ready.popleft()
                self._cond.notify_all()  # wake the filler to start a replacement
                if km.is_alive():
                    return km
                log.warning("discarding a pooled kernel that died while idle")
                _shutdown(km)
        return start_ready_kernel(self.kernel_name, self.startup_timeout, self.cwd)

    def shutdown(self) -> None:
        """Stop the filler and every idle kernel; kernels already handed out are the callers'."""
        with self._cond:
            self._closed = True
            idle = list(self._ready)
            self._ready.clear()
            self._cond.notify_all()
        for km in idle:
            _shutdown(km)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.startup_timeout + 10)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _fill(self) -> None:
        """Background loop: start kernels one at a time whenever the pool is below `size`."""
        failures = 0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or len(self._ready) < self.size)
                if self._closed:
                    return
            try:
                km = start_ready_kernel(self.kernel_name, self.startup_timeout, self.cwd)
                failures = 0
            except Exception:
                failures += 1
                log.exception("could not start a pooled %s kernel", self.kernel_name)
                with self._cond:  # back off so a broken kernelspec doesn't spin a core
                    self._cond.wait(timeout=min(60, 2**failures))
                continue
            with self._cond:
                if self._closed:
                    closed = True
                else:
                    closed = False
                    self._ready.append(km)
                    self._cond.notify_all()
            if closed:
                _shutdown(km)
                return


def _shutdown(km: KernelManager) -> None:
    try:
        km.shutdown_kernel(now=True)
    except Exception:  # already gone: nothing left to release
        log.debug("kernel shutdown failed", exc_info=True)
