"""Prefect's `prefect.utilities.hashing`: `file_hash` (a flow's default version is the hash of its
file), `stable_hash` and `hash_objects` (what cache keys are made of)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import cloudpickle


def stable_hash(*args: str | bytes, hash_algo: Callable[..., Any] = hashlib.md5) -> str:
    """One hex digest of the given strings and bytes, the same in every process."""
    h = hash_algo(usedforsecurity=False) if hash_algo is hashlib.md5 else hash_algo()
    for a in args:
        h.update(a.encode() if isinstance(a, str) else a)
    return h.hexdigest()


def file_hash(path: str, hash_algo: Callable[..., Any] = hashlib.md5) -> str:
    """The hex digest of the file's bytes."""
    with open(path, "rb") as f:
        return stable_hash(f.read(), hash_algo=hash_algo)


def hash_objects(
    *args: Any, hash_algo: Callable[..., Any] = hashlib.md5, raise_on_failure: bool = False, **kwargs: Any
) -> str | None:
    """A digest of the arguments: their JSON when they have one, else their cloudpickle; None (or
    the error, with `raise_on_failure`) when neither works."""
    try:
        return stable_hash(json.dumps((args, kwargs), sort_keys=True), hash_algo=hash_algo)
    except (TypeError, ValueError):
        pass
    try:
        return stable_hash(cloudpickle.dumps((args, kwargs)), hash_algo=hash_algo)
    except Exception:
        if raise_on_failure:
            raise
        return None


__all__ = ["file_hash", "hash_objects", "stable_hash"]
