"""Prefect's `prefect.utilities.names`: how secrets read in output."""

from __future__ import annotations

from typing import Any

__all__ = ["OBFUSCATED_PREFIX", "obfuscate"]

OBFUSCATED_PREFIX = "*" * 4


def obfuscate(value: Any, show_tail: bool = False) -> str:
    """A secret as it may be shown: eight asterisks, or four plus its last four characters
    (`show_tail=True`, only when it is long enough not to give it away)."""
    text = str(value)
    if show_tail and len(text) >= 12:
        return OBFUSCATED_PREFIX + text[-4:]
    return "*" * 8
