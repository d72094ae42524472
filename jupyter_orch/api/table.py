"""THE route table: every resource module listed here contributes its `ROUTES`.

To add a resource, write `jupyter_orch/api/resources/<name>.py` with models, operations and a
`ROUTES` list, and add its name to `RESOURCES`. The handlers, the in-process client, OpenAPI
document and the route tests pick it up from here.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from jupyter_orch.api import PREFIX
from jupyter_orch.api.routing import Route, RouteTable

__all__ = ["PREFIX", "RESOURCES", "route_table"]

#: Resource modules under `jupyter_orch.api.resources`, in the order the docs list them.
RESOURCES = (
    "health",
    "flows",
    "flow_runs",
    "flow_run_graph",
    "flow_run_states",
    "flow_run_inputs",
    "task_runs",
    "background",
    "logs",
    "artifacts",
    "deployments",
    "work_pools",
    "concurrency_limits",
    "global_concurrency_limits",
    "notifications",
    "config",
    "notebooks",
    "meta",
)


@cache
def route_table() -> RouteTable:
    routes: list[Route] = []
    for name in RESOURCES:
        routes.extend(import_module(f"jupyter_orch.api.resources.{name}").ROUTES)
    return RouteTable(routes)
