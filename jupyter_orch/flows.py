"""Prefect's `prefect.flows`: `Flow` and `flow`, and loading a flow from an entrypoint
("path/to/file.py:function" or "package.module.function")."""

from __future__ import annotations

import ast
import inspect  # noqa: F401 - Prefect patches `prefect.flows.inspect.getsourcefile` in tests
from pathlib import Path
from typing import Any

from jupyter_orch.engine.flows import Flow, flow
from jupyter_orch.entrypoints import load_entrypoint
from jupyter_orch.exceptions import MissingFlowError, ScriptError

#: the decorator options `load_flow_arguments_from_entrypoint` reads when not told which
FLOW_ARGUMENTS = ("name", "description", "version", "flow_run_name", "retries", "retry_delay_seconds",
                  "timeout_seconds", "log_prints", "validate_parameters", "persist_result")  # fmt: skip


def _split(entrypoint: str) -> tuple[str, str]:
    """("file.py" or "package.module", "name") of an entrypoint in either spelling."""
    if ":" in entrypoint:
        target, _, name = entrypoint.rpartition(":")
        return target, name
    target, _, name = entrypoint.rpartition(".")
    if not target:
        raise ValueError(f"entrypoint {entrypoint!r} must look like 'path/to/file.py:function'")
    return target, name


def _load_object(entrypoint: str) -> Any:
    target, name = _split(entrypoint)
    try:
        return load_entrypoint(f"{target}:{name}", None)
    except AttributeError as exc:
        raise MissingFlowError(f"Flow function with name {name!r} not found in {target!r}") from exc
    except (ImportError, FileNotFoundError, MissingFlowError):
        raise
    except Exception as exc:
        if target.endswith(".py"):
            raise ScriptError(user_exc=exc, path=target) from exc
        raise


def load_flow_from_entrypoint(entrypoint: str, use_placeholder_flow: bool = True) -> Flow[Any]:
    """The flow the entrypoint names (the script or module is imported); MissingFlowError when
    it names something else, ScriptError when the script raises while loading."""
    obj = _load_object(entrypoint)
    if not isinstance(obj, Flow):
        raise MissingFlowError(f"{entrypoint!r} is not a flow (found {type(obj).__name__})")
    return obj


def load_function_and_convert_to_flow(entrypoint: str) -> Flow[Any]:
    """The flow the entrypoint names, or a flow made of the plain function it names."""
    obj = _load_object(entrypoint)
    if isinstance(obj, Flow):
        return obj
    if not callable(obj):
        raise MissingFlowError(f"{entrypoint!r} names no function")
    return flow(obj)


def safe_load_flow_from_entrypoint(entrypoint: str) -> Flow[Any] | None:
    """`load_flow_from_entrypoint`, or None when loading fails for any reason."""
    try:
        return load_flow_from_entrypoint(entrypoint)
    except Exception:
        return None


def _function_node(entrypoint: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    target, name = _split(entrypoint)
    if target.endswith(".py"):
        source = Path(target).read_text()
    else:
        import importlib.util  # only for module-path entrypoints

        spec = importlib.util.find_spec(target)
        if spec is None or spec.origin is None:
            raise ImportError(f"no module named {target!r}")
        source = Path(spec.origin).read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
    raise MissingFlowError(f"Flow function with name {name!r} not found in {target!r}")


def load_flow_arguments_from_entrypoint(
    entrypoint: str, arguments: set[str] | list[str] | None = None
) -> dict[str, Any]:
    """The literal keyword arguments of the `@flow(...)` decorating the entrypoint's function, read
    from its source without running it; `name` defaults to the function's name as a flow names it."""
    node = _function_node(entrypoint)
    wanted = set(arguments) if arguments is not None else set(FLOW_ARGUMENTS)
    found: dict[str, Any] = {}
    for decorator in node.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        for keyword in decorator.keywords:
            if keyword.arg in wanted:
                try:
                    found[keyword.arg] = ast.literal_eval(keyword.value)
                except ValueError:
                    continue
    if "name" in wanted and "name" not in found:
        found["name"] = node.name.replace("_", "-")
    return found


async def load_flow_from_flow_run(
    client: Any, flow_run: Any, ignore_storage: bool = False, **_: Any
) -> Flow[Any]:
    """The flow of a deployment's run, loaded from the deployment's entrypoint."""
    deployment_id = getattr(flow_run, "deployment_id", None)
    if deployment_id is None:
        raise ValueError("the flow run has no deployment, so nothing says where its flow is")
    base = getattr(client, "orch", client)
    deployment = base.read_deployment(str(deployment_id))
    obj = load_entrypoint(deployment["entrypoint"], deployment.get("path"))
    return obj if isinstance(obj, Flow) else flow(obj)


__all__ = [
    "Flow",
    "flow",
    "load_flow_arguments_from_entrypoint",
    "load_flow_from_entrypoint",
    "load_flow_from_flow_run",
    "load_function_and_convert_to_flow",
    "safe_load_flow_from_entrypoint",
]
