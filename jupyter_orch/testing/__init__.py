"""Helpers for users' own tests: `orch_test_harness()` runs the code inside it against a
throwaway database (as Prefect's `prefect_test_harness`), and a pytest plugin offers the same as
fixtures (`jupyter_orch.testing.pytest_plugin`)."""

from jupyter_orch.testing.harness import OrchTestHarness, orch_test_harness

__all__ = ["OrchTestHarness", "orch_test_harness"]
