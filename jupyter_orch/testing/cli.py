"""Prefect's `prefect.testing.cli`: helpers for testing console output."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["temporary_console_width"]


@contextmanager
def temporary_console_width(console: Any, width: int) -> Iterator[None]:
    """Set a rich console's width for the block (output wraps at `width`), then restore it."""
    original = console.width
    try:
        console._width = width
        yield
    finally:
        console._width = original
