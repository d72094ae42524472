"""Prefect's `prefect.logging.filters`: keep secrets out of log records (the filter lives with
the run loggers, which carry it)."""

from jupyter_orch.engine.logging import ObfuscateApiKeyFilter

__all__ = ["ObfuscateApiKeyFilter"]
