"""Prefect's `prefect.testing.utilities`: `prefect_test_harness` (our `orch_test_harness`),
`exceptions_equal`, `get_most_recent_flow_run` and `AsyncMock`."""

from typing import Any
from unittest.mock import AsyncMock

from jupyter_orch.client.orchestration import PrefectClient, flow_run_from_api
from jupyter_orch.testing.harness import orch_test_harness

prefect_test_harness = orch_test_harness
#: the name a blanket `prefect` -> `jupyter_orch` rename of Prefect's code gives it
jupyter_orch_test_harness = orch_test_harness


def exceptions_equal(a: Any, b: Any) -> bool:
    """Whether two exceptions are the same one, or of the same type with the same arguments
    (an exception read back from a result is an equal copy, not the object raised)."""
    if a is b:
        return True
    return type(a) is type(b) and getattr(a, "args", None) == getattr(b, "args", None)


async def get_most_recent_flow_run(client: PrefectClient | None = None, flow_name: str | None = None) -> Any:
    """The flow run created last (of the flow named `flow_name`, if given), as Prefect's FlowRun."""
    orch = (client or PrefectClient()).orch
    orch.flush()
    query = {"limit": 1, **({"flow_name": flow_name} if flow_name else {})}
    items = orch.get("flow_runs", **query)["items"]
    return flow_run_from_api(items[0]) if items else None


__all__ = [
    "AsyncMock",
    "exceptions_equal",
    "get_most_recent_flow_run",
    "jupyter_orch_test_harness",
    "orch_test_harness",
    "prefect_test_harness",
]
