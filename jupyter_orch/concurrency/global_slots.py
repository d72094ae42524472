"""Slots of global concurrency limits (Prefect's v2 limits) taken and given back through the
client: what `concurrency()` and `rate_limit()` of `sync` and `asyncio` share. A name without a
limit (or an inactive one) never waits; `strict=True` refuses names without a limit."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from jupyter_orch.client import get_client

#: how often a full limit is asked again
POLL_SECONDS = 0.1


class ConcurrencySlotAcquisitionError(Exception):
    """Slots could not be taken: a limit named with `strict=True` does not exist (Prefect's)."""


class AcquireConcurrencySlotTimeoutError(TimeoutError):
    """The slots were not free within `timeout_seconds` (Prefect's)."""


def as_names(names: str | Iterable[str]) -> list[str]:
    return [names] if isinstance(names, str) else list(names)


def try_acquire(names: list[str], occupy: int, mode: str, strict: bool) -> tuple[bool, list[str]]:
    """One attempt: (taken, the names that carry an active limit)."""
    answer = get_client().post(
        "v2/concurrency_limits/increment", {"names": names, "slots": occupy, "mode": mode}
    )
    limits = answer["limits"]
    missing = sorted(set(names) - {limit["name"] for limit in limits})
    if strict and missing:
        if answer["acquired"]:
            release([limit["name"] for limit in limits if limit["active"]], occupy, None)
        raise ConcurrencySlotAcquisitionError(
            f"Concurrency limits {missing} must be created before acquiring slots"
        )
    return bool(answer["acquired"]), [limit["name"] for limit in limits if limit["active"]]


def acquire(
    names: list[str], occupy: int, timeout_seconds: float | None, mode: str, strict: bool
) -> list[str]:
    """Wait until `occupy` slots of every named limit are taken; the limits held."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while True:
        taken, held = try_acquire(names, occupy, mode, strict)
        if taken:
            return held
        if deadline is not None and time.monotonic() >= deadline:
            raise AcquireConcurrencySlotTimeoutError(
                f"Attempt to acquire concurrency slots timed out after {timeout_seconds} second(s)"
            )
        time.sleep(POLL_SECONDS)


def release(names: list[str], occupy: int, occupancy_seconds: float | None) -> Any:
    if names:
        body = {"names": names, "slots": occupy, "occupancy_seconds": occupancy_seconds}
        return get_client().post("v2/concurrency_limits/decrement", body)
    return None
