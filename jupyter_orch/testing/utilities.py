"""Prefect's spelling: `from jupyter_orch.testing.utilities import prefect_test_harness`."""

from jupyter_orch.testing.harness import orch_test_harness

prefect_test_harness = orch_test_harness

__all__ = ["orch_test_harness", "prefect_test_harness"]
