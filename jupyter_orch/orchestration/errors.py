"""The store's errors; they live in the core (`jupyter_orch.errors`), named here as before."""

from __future__ import annotations

from jupyter_orch.errors import Conflict, Invalid, NotFound, OrchError

__all__ = ["Conflict", "Invalid", "NotFound", "OrchError"]
