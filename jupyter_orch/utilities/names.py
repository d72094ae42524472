"""Prefect's `prefect.utilities.names`: how secrets read in output (defined with the settings)."""

from __future__ import annotations

from jupyter_orch.settings import OBFUSCATED_PREFIX, obfuscate

__all__ = ["OBFUSCATED_PREFIX", "obfuscate"]
