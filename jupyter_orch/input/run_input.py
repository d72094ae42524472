"""Prefect's `prefect.input.run_input`: `RunInput`, the model a paused run's input is validated
with, and `keyset_from_paused_state` (the input keys a pause uses)."""

from __future__ import annotations

from typing import Any

from jupyter_orch.input import RunInput


def keyset_from_base_key(base_key: str) -> dict[str, str]:
    """The keys a pause named `base_key` stores its schema, description and response under."""
    return {
        "description": f"{base_key}-description",
        "response": f"{base_key}-response",
        "schema": f"{base_key}-schema",
    }


def keyset_from_paused_state(state: Any) -> dict[str, str]:
    """The keyset of a Paused (or Suspended) state's pause."""
    key = (state.data or {}).get("pause_key") if isinstance(state.data, dict) else None
    if not state.is_paused() or not key:
        raise RuntimeError(f"{state.type.value!r} is unsupported: a paused state has a keyset.")
    return keyset_from_base_key(key)


__all__ = ["RunInput", "keyset_from_base_key", "keyset_from_paused_state"]
