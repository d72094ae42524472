"""Logging as Prefect's `prefect.logging`: `get_run_logger()` (records stored with the run),
`get_logger()` (a plain logger under `jupyter_orch`, not stored), `disable_run_logger()` (for
calling a task's `.fn` in tests) and, in `jupyter_orch.logging.loggers`, `flow_run_logger` /
`task_run_logger` for state-change hooks."""

from jupyter_orch.logging.loggers import LogEavesdropper, disable_run_logger, get_logger, get_run_logger

__all__ = ["LogEavesdropper", "disable_run_logger", "get_logger", "get_run_logger"]
