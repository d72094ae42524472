"""What a caller of a notebook run handles: its typed errors, its progress callbacks and its result.

Kept apart from the papermill machinery so that code which only catches or reports these does not
pay papermill's and nbclient's import time (~1 s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class NotebookExecutionError(Exception):
    """Base of every failure of a notebook run; the partial output notebook is already saved."""

    cell_index: int | None = None
    output_path: str | None = None


class CellExecutionError(NotebookExecutionError):
    """A cell raised; `traceback_text` is the kernel's traceback without ANSI colours."""

    def __init__(self, cell_index: int, ename: str, evalue: str, traceback_text: str) -> None:
        super().__init__(f"cell {cell_index} raised {ename}: {evalue}")
        self.cell_index, self.ename, self.evalue = cell_index, ename, evalue
        self.traceback_text = traceback_text


class KernelDied(NotebookExecutionError):
    """The kernel process went away (os._exit, killed, out of memory) while running a cell."""

    def __init__(self, cell_index: int | None, reason: str) -> None:
        super().__init__(f"kernel died while running cell {cell_index}: {reason}")
        self.cell_index, self.reason = cell_index, reason


class CellTimeout(NotebookExecutionError):
    """The run exceeded its `execution_timeout`; `cell_index` is the cell that was running."""

    def __init__(self, cell_index: int | None, timeout: float, source_preview: str = "") -> None:
        where = f"cell {cell_index}" + (f" ({source_preview!r})" if source_preview else "")
        super().__init__(f"notebook run exceeded its {timeout:g}s execution timeout in {where}")
        self.cell_index, self.timeout, self.source_preview = cell_index, timeout, source_preview


class KernelStartError(NotebookExecutionError):
    """The kernel could not be started or did not answer within `start_timeout`."""


@dataclass
class ExecutionCallbacks:
    """Progress hooks, called from the executing thread; exceptions in them are not swallowed.

    `index` is the cell's position in the executed notebook (injected cell included), `total`
    the number of its cells; markdown cells are reported too, as papermill's progress bar does.
    """

    on_cell_start: Callable[[int, int, str], None] | None = None
    on_cell_end: Callable[[int, int, float, str], None] | None = None
    on_log: Callable[[int, str, str], None] | None = None  # (cell index, "stdout"/"stderr", text)


@dataclass
class ExecutionResult:
    output_path: str
    duration: float
    cells_executed: int
    total_cells: int
