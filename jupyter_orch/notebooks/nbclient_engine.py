"""Papermill's nbclient engine, extended with what a scheduler needs: a whole-run deadline (a
watchdog that interrupts, then kills, the kernel), per-cell callbacks, output saved through fsspec
after every cell, typed failures naming the cell, and running on a kernel someone else started.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import threading
import time
from queue import Empty
from typing import Any

import fsspec
import nbformat
from jupyter_client import AsyncKernelClient, KernelManager
from jupyter_client.kernelspec import NoSuchKernel
from nbclient.exceptions import CellExecutionError as NbclientCellError
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager

from jupyter_orch.notebooks.execution_types import (
    CellExecutionError,
    CellTimeout,
    ExecutionCallbacks,
    KernelDied,
    KernelStartError,
    NotebookExecutionError,
)

TAIL_CHARS = 2000
INTERRUPT_GRACE_SECONDS = 3.0


def preview(source: str, limit: int = 80) -> str:
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def outputs_text(cell: NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    text = "".join(p if p.endswith("\n") else p + "\n" for p in parts if p)
    return text[-TAIL_CHARS:]


def write_notebook(nb: NotebookNode, url: str) -> None:
    """Write `nb` to a path or fsspec URL; local files are replaced atomically so a reader
    polling a running notebook never sees half a file."""
    text = nbformat.writes(nb)
    fs, path = fsspec.core.url_to_fs(url)
    if fs.protocol in ("file", ("file", "local")) or "file" in fs.protocol:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    else:
        with fs.open(path, "w") as fh:
            fh.write(text)


class NotebookManager(NotebookExecutionManager):
    """Papermill's execution manager, saving through fsspec and firing our callbacks."""

    def __init__(self, nb: NotebookNode, output_path: str | None, callbacks: ExecutionCallbacks, **kw: Any):
        super().__init__(nb, output_path=output_path, **kw)
        self.callbacks = callbacks
        self.current_cell: int | None = None
        self._cell_started = 0.0

    def save(self, **kwargs: Any) -> None:
        if self.output_path:
            write_notebook(self.nb, self.output_path)
        self.last_save_time = self.now()

    def cell_start(self, cell: NotebookNode, cell_index: int | None = None, **kwargs: Any) -> None:
        self.current_cell = cell_index
        self._cell_started = time.monotonic()
        super().cell_start(cell, cell_index, **kwargs)
        if self.callbacks.on_cell_start and cell_index is not None:
            self.callbacks.on_cell_start(cell_index, len(self.nb.cells), preview(cell.source))

    def cell_complete(self, cell: NotebookNode, cell_index: int | None = None, **kwargs: Any) -> None:
        super().cell_complete(cell, cell_index, **kwargs)
        if self.callbacks.on_cell_end and cell_index is not None:
            duration = time.monotonic() - self._cell_started
            self.callbacks.on_cell_end(cell_index, len(self.nb.cells), duration, outputs_text(cell))


class WatchedClient(PapermillNotebookClient):
    """Papermill's client plus: the whole-run watchdog, stream callbacks, typed failures, and
    running on a kernel someone else started."""

    def __init__(
        self, nb_man: NotebookManager, run_timeout: float | None, cwd: str | None, **kw: Any
    ) -> None:
        super().__init__(nb_man, **kw)
        self.run_timeout = run_timeout
        self.run_cwd = cwd
        self.failure: tuple[int, BaseException] | None = None
        self.death_reason: str | None = None
        self.timed_out = threading.Event()
        self._done = threading.Event()

    async def async_start_new_kernel_client(self) -> Any:
        """nbclient needs an async client; a pooled sync `KernelManager` would hand out a
        blocking one that stalls nbclient's event loop, so build an async one ourselves."""
        if isinstance(self.km, KernelManager) and not self.owns_km:
            info = self.km.get_connection_info(session=True)
            self.kc = AsyncKernelClient(**info, parent=self.km)
            self.kc.start_channels()
            try:
                await self._until_iopub_connected()
            except RuntimeError:
                self.kc.stop_channels()
                raise
            self.kc.allow_stdin = False
            if self.run_cwd:  # a pooled kernel was started elsewhere; move it where the run wants
                msg = self.kc.execute(f"import os as _o; _o.chdir({self.run_cwd!r}); del _o", silent=True)
                await self.async_wait_for_reply(msg, None)
            return self.kc
        return await super().async_start_new_kernel_client()

    async def _until_iopub_connected(self) -> None:
        """The pool already saw this kernel answer; we only need our IOPub subscription live so
        no output is lost. `wait_for_ready` would also idle 0.2 s draining IOPub on every run."""
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            await self.async_wait_for_reply(msg_id, None)
            try:
                while True:
                    msg = await self.kc.get_iopub_msg(timeout=0.1)
                    mine = msg["parent_header"].get("msg_id") == msg_id
                    if mine and msg["content"].get("execution_state") == "idle":
                        return
            except Empty:
                continue
        raise RuntimeError(f"kernel IOPub did not connect within {self.startup_timeout}s")

    # nbclient binds the sync wrapper to its own coroutine; rebind it to the override above.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def execute(self, **kwargs: Any) -> NotebookNode:
        self.reset_execution_trackers()
        try:
            with self.setup_kernel(**kwargs):
                watchdog = self._start_watchdog()
                try:
                    self.papermill_execute_cells()
                finally:
                    self._done.set()
                    if watchdog:
                        watchdog.join()
                if self.failure is None:
                    info = self.wait_for_reply(self.kc.kernel_info())
                    self.nb.metadata["language_info"] = info["content"]["language_info"]
                self.set_widgets_metadata()
        except (RuntimeError, TimeoutError, NoSuchKernel) as exc:
            if self.kc is None or self.failure is None and self.nb_man.current_cell is None:
                raise KernelStartError(f"kernel {self.kernel_name!r} did not start: {exc}") from exc
            raise
        return self.nb

    def papermill_execute_cells(self) -> None:
        """Papermill's loop, but remembering the failure instead of only marking the cell."""
        for index, cell in enumerate(self.nb.cells):
            try:
                self.nb_man.cell_start(cell, index)
                self.execute_cell(cell, index)
            except (NbclientCellError, DeadKernelError) as exc:
                if isinstance(exc, DeadKernelError):  # read now: nbclient drops `km` on cleanup
                    self.death_reason = _death_reason(self.km)
                self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=exc)
                self.failure = (index, exc)
                break
            finally:
                self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)

    def process_message(self, msg: dict, cell: NotebookNode, cell_index: int) -> Any:
        output = super().process_message(msg, cell, cell_index)
        on_log = self.nb_man.callbacks.on_log
        if on_log and output is not None and output.get("output_type") == "stream":
            on_log(cell_index, output.name, output.text)
        return output

    def _start_watchdog(self) -> threading.Thread | None:
        if not self.run_timeout:
            return None
        thread = threading.Thread(target=self._watch, name="notebook-watchdog", daemon=True)
        thread.start()
        return thread

    def _watch(self) -> None:
        """At the deadline interrupt the kernel; if the cell ignores that, kill the kernel.
        Either way nbclient then returns (error reply or dead kernel) and we report a timeout."""
        if self._done.wait(self.run_timeout):
            return
        self.timed_out.set()
        _signal_kernel(self.km, signal.SIGINT)
        if self._done.wait(INTERRUPT_GRACE_SECONDS):
            return
        _signal_kernel(self.km, signal.SIGKILL)


def _signal_kernel(km: Any, sig: int) -> None:
    """Signal the kernel process directly: thread-safe, unlike the manager's async methods."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None and process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)


def shutdown_quietly(km: KernelManager) -> None:
    with contextlib.suppress(Exception):
        km.shutdown_kernel(now=True)


class OrchEngine(NBClientEngine):
    @classmethod
    def execute_notebook(
        cls,
        nb: NotebookNode,
        kernel_name: str,
        output_path: str | None = None,
        callbacks: ExecutionCallbacks | None = None,
        **kwargs: Any,
    ) -> NotebookNode:
        nb_man = NotebookManager(nb, output_path, callbacks or ExecutionCallbacks(), progress_bar=False)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, **kwargs)
        finally:
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: NotebookManager,
        kernel_name: str,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        cwd: str | None = None,
        km: KernelManager | None = None,
        **kwargs: Any,
    ) -> NotebookNode:
        resources = {"metadata": {"path": cwd}} if cwd and km is None else {}
        client = WatchedClient(
            nb_man,
            run_timeout=execution_timeout,
            cwd=cwd,
            km=km,
            kernel_name=kernel_name,
            startup_timeout=math.ceil(start_timeout),
            timeout=None,
            resources=resources,
        )
        try:
            client.execute()
        except DeadKernelError as exc:  # died outside a cell, e.g. while answering kernel_info
            raise KernelDied(nb_man.current_cell, str(exc)) from exc
        finally:
            if km is not None:
                if client.kc is not None:
                    client.kc.stop_channels()
                shutdown_quietly(km)
        _raise_failure(client, nb_man)
        return nb_man.nb


def _raise_failure(client: WatchedClient, nb_man: NotebookManager) -> None:
    if client.failure is None:  # also when the deadline passed just as the last cell ended
        return
    index, exc = client.failure
    cell = nb_man.nb.cells[index]
    error: NotebookExecutionError
    if client.timed_out.is_set():
        error = CellTimeout(index, client.run_timeout or 0, preview(cell.source))
    elif isinstance(exc, DeadKernelError):
        error = KernelDied(index, client.death_reason or "kernel died")
    else:
        assert isinstance(exc, NbclientCellError)
        tb = next((o for o in cell.outputs if o.output_type == "error"), None)
        traceback_text = _strip_ansi("\n".join(tb.traceback)) if tb else str(exc)
        error = CellExecutionError(index, exc.ename, exc.evalue, traceback_text)
    error.output_path = nb_man.output_path
    raise error from exc


def _death_reason(km: Any) -> str:
    process = getattr(getattr(km, "provisioner", None), "process", None)
    code = process.poll() if process is not None else None
    if code is None:
        return "kernel stopped responding"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        hint = " (possibly out of memory)" if -code == signal.SIGKILL else ""
        return f"kernel killed by {name}{hint}"
    return f"kernel exited with code {code}"


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
