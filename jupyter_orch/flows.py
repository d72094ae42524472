"""Prefect's `prefect.flows`: `Flow` and `flow`, and loading a flow from an entrypoint
("path/to/file.py:function" or "package.module.function")."""

from __future__ import annotations

import ast
import inspect  # noqa: F401 - Prefect patches `prefect.flows.inspect.getsourcefile` in tests
import logging
from pathlib import Path
from typing import Any

from jupyter_orch.engine.flows import Flow, flow
from jupyter_orch.entrypoints import load_entrypoint
from jupyter_orch.exceptions import MissingFlowError, ScriptError

_log = logging.getLogger("jupyter_orch.flows")

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


def import_object(import_path: str) -> Any:
    """The object "package.module.name" (or "path/file.py:name") names, its module imported."""
    target, name = _split(import_path)
    return load_entrypoint(f"{target}:{name}", None)


def _load_object(entrypoint: str) -> Any:
    target, name = _split(entrypoint)
    try:
        return import_object(entrypoint)
    except AttributeError as exc:
        raise MissingFlowError(f"Flow function with name {name!r} not found in {target!r}") from exc
    except (FileNotFoundError, MissingFlowError):
        raise
    except Exception as exc:
        if target.endswith(".py"):
            raise ScriptError(user_exc=exc, path=target) from exc
        raise


def load_flow_from_entrypoint(entrypoint: str, use_placeholder_flow: bool = True) -> Flow[Any]:
    """The flow the entrypoint names (the script or module is imported); MissingFlowError when
    it names something else. When the script raises while loading, a placeholder: the flow made
    from the function's own source and its decorator's arguments (`use_placeholder_flow=False`:
    the ScriptError)."""
    try:
        obj = _load_object(entrypoint)
    except ScriptError:
        if not use_placeholder_flow:
            raise
        return _placeholder_flow(entrypoint)
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
    """The flow made from the entrypoint function's own source, in a namespace of what its file
    defines that can be (without running the rest of the script); None when that fails. A file
    without that function is a ValueError (Prefect's)."""
    _function_node(entrypoint)
    try:
        return _placeholder_flow(entrypoint, strict=True)
    except Exception:
        return None


def _safe_namespace(target: str) -> dict[str, Any]:
    """What the file's top level imports, assigns and defines, each statement run on its own
    (one that fails is skipped), as Prefect reads a script it must not run."""
    namespace: dict[str, Any] = {"__file__": target, "__name__": f"__jupyter_orch_{Path(target).stem}"}
    for node in ast.parse(Path(target).read_text()).body:
        if isinstance(node, _SAFE_STATEMENTS):
            try:
                exec(compile(ast.Module(body=[node], type_ignores=[]), target, "exec"), namespace)  # noqa: S102
            except Exception:
                continue
    return namespace


_SAFE_STATEMENTS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.ClassDef)


def _evaluates(expr: ast.expr | None, namespace: dict[str, Any]) -> bool:
    try:
        eval(compile(ast.Expression(expr), "<entrypoint>", "eval"), namespace)  # noqa: S307
    except Exception:
        return False
    return True


def _placeholder_flow(entrypoint: str, strict: bool = False) -> Flow[Any]:
    """The entrypoint's function compiled alone in the file's safe namespace: an annotation that
    cannot be evaluated is dropped and such a default is None (Prefect's)."""
    target, name = _split(entrypoint)
    namespace = _safe_namespace(target)
    node = _function_node(entrypoint)
    node.decorator_list = []
    arguments = node.args
    for arg in [
        *arguments.posonlyargs,
        *arguments.args,
        *arguments.kwonlyargs,
        arguments.vararg,
        arguments.kwarg,
    ]:
        if arg is not None and arg.annotation is not None and not _evaluates(arg.annotation, namespace):
            arg.annotation = None
    arguments.defaults = [d if _evaluates(d, namespace) else ast.Constant(None) for d in arguments.defaults]
    arguments.kw_defaults = [
        d if d is None or _evaluates(d, namespace) else ast.Constant(None) for d in arguments.kw_defaults
    ]
    if node.returns is not None and not _evaluates(node.returns, namespace):
        node.returns = None
    exec(
        compile(ast.fix_missing_locations(ast.Module(body=[node], type_ignores=[])), target, "exec"),
        namespace,
    )  # noqa: S102
    return Flow(namespace[name], **load_flow_arguments_from_entrypoint(entrypoint, strict=strict))


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
    raise FlowNotFound(
        f"Could not find flow {name!r}: Flow function with name {name!r} not found in {target!r}"
    )


class FlowNotFound(MissingFlowError, ValueError):
    """The entrypoint's file has no function of that name (a ValueError, as Prefect's)."""


def load_flow_arguments_from_entrypoint(
    entrypoint: str, arguments: set[str] | list[str] | None = None, strict: bool = False
) -> dict[str, Any]:
    """The keyword arguments of the `@flow(...)` decorating the entrypoint's function, read from
    its source without running it (an expression such as `f"etl-{version}"` evaluated in what the
    file defines; one that cannot be is logged and left out, or raised with `strict`); `name`
    defaults to the function's name as a flow names it."""
    node = _function_node(entrypoint)
    wanted = set(arguments) if arguments is not None else set(FLOW_ARGUMENTS)
    found: dict[str, Any] = {}
    namespace: dict[str, Any] | None = None
    calls = [d for d in node.decorator_list if isinstance(d, ast.Call)]
    for keyword in (k for call in calls for k in call.keywords if k.arg in wanted):
        try:
            found[keyword.arg] = ast.literal_eval(keyword.value)
        except ValueError:
            namespace = namespace if namespace is not None else _safe_namespace(_split(entrypoint)[0])
            try:
                found[keyword.arg] = eval(compile(ast.Expression(keyword.value), "<flow>", "eval"), namespace)  # noqa: S307
            except Exception as exc:
                if strict:
                    raise
                text = f"{keyword.arg}={ast.unparse(keyword.value)}"
                _log.warning("Failed to parse @flow argument: `%s` (%r); the default is used", text, exc)
    if "name" in wanted and "name" not in found:
        found["name"] = node.name.replace("_", "-")
    return found


async def load_flow_from_flow_run(
    *args: Any, ignore_storage: bool = False, use_placeholder_flow: bool = True, **options: Any
) -> Flow[Any]:
    """The flow of a deployment's run, loaded with `load_flow_from_entrypoint` from the
    deployment's entrypoint (a file one relative to the deployment's path). Called as Prefect's
    newest, `(flow_run)`, or as its earlier `(client, flow_run)`."""
    client = options.get("client")
    if len(args) == 2:
        client, flow_run = args
    else:
        flow_run = args[0] if args else options["flow_run"]
    deployment_id = getattr(flow_run, "deployment_id", None)
    if deployment_id is None:
        raise ValueError("the flow run has no deployment, so nothing says where its flow is")
    if client is None:
        from jupyter_orch.client import get_client  # the runs' client: loaded by a run already

        client = get_client()
    deployment = getattr(client, "orch", client).read_deployment(str(deployment_id))
    entrypoint, path = deployment["entrypoint"], deployment.get("path")
    target, sep, name = entrypoint.rpartition(":")
    if sep and path and not Path(target).is_absolute():
        entrypoint = f"{Path(path, target)}:{name}"
    return load_flow_from_entrypoint(entrypoint, use_placeholder_flow=use_placeholder_flow)


__all__ = [
    "Flow",
    "flow",
    "load_flow_arguments_from_entrypoint",
    "load_flow_from_entrypoint",
    "load_flow_from_flow_run",
    "load_function_and_convert_to_flow",
    "safe_load_flow_from_entrypoint",
]
