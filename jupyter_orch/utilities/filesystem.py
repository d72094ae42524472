"""Prefect's `prefect.utilities.filesystem`: `tmpchdir(path)` runs a block in another working
directory and comes back afterwards, however the block ends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def tmpchdir(path: str | os.PathLike[str]) -> Iterator[str]:
    """Change to `path` (a file's directory, for a file) for the block; yields that directory."""
    target = Path(path)
    if target.is_file():
        target = target.parent
    previous = os.getcwd()
    os.chdir(target)
    try:
        yield str(target)
    finally:
        os.chdir(previous)


__all__ = ["tmpchdir"]
