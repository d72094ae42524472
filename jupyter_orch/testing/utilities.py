"""Prefect's `prefect.testing.utilities`: `prefect_test_harness` (our `orch_test_harness`) and
`exceptions_equal`."""

from typing import Any

from jupyter_orch.testing.harness import orch_test_harness

prefect_test_harness = orch_test_harness


def exceptions_equal(a: Any, b: Any) -> bool:
    """Whether two exceptions are the same one, or of the same type with the same arguments
    (an exception read back from a result is an equal copy, not the object raised)."""
    if a is b:
        return True
    return type(a) is type(b) and getattr(a, "args", None) == getattr(b, "args", None)


__all__ = ["exceptions_equal", "orch_test_harness", "prefect_test_harness"]
