"""Prefect's `prefect.utilities.annotations` path: the wrappers live in the core
(`jupyter_orch.annotations`), below the engine that recognises them."""

from jupyter_orch.annotations import BaseAnnotation, NotSet, allow_failure, opaque, quote, unmapped

__all__ = ["BaseAnnotation", "NotSet", "allow_failure", "opaque", "quote", "unmapped"]
