"""Prefect's `prefect.utilities.callables`: a function's (or flow's) parameter schema, with each
parameter's description taken from the `Args:` section of its docstring, and binding helpers."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jupyter_orch.parameters import ParameterModel

_ARG_LINE = re.compile(r"^\s*\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params)\s*:\s*$")


class ParameterSchema(BaseModel):
    """The JSON schema of a function's parameters."""

    model_config = ConfigDict(populate_by_name=True)
    title: str = "Parameters"
    type: str = "object"
    properties: dict[str, Any] = Field(default_factory=dict)
    required: list[str] = Field(default_factory=list)
    definitions: dict[str, Any] = Field(default_factory=dict, alias="$defs")

    def model_dump_for_openapi(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def docstring_descriptions(doc: str | None) -> dict[str, str]:
    """{parameter: description} from a Google-style `Args:` section."""
    found: dict[str, str] = {}
    in_args, indent, current = False, None, None
    for line in (doc or "").splitlines():
        if _SECTION.match(line):
            in_args, indent, current = True, None, None
            continue
        if not in_args or not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        indent = depth if indent is None else indent
        match = _ARG_LINE.match(line)
        if depth == indent and match:
            current = match.group(1)
            found[current] = match.group(2).strip()
        elif depth > indent and current:
            found[current] = f"{found[current]} {line.strip()}".strip()
        elif depth < indent:
            in_args = False
    return found


def parameter_schema(fn: Callable[..., Any]) -> ParameterSchema:
    """The parameters of `fn` (a function or a flow) as a JSON schema."""
    target = getattr(fn, "fn", fn)
    schema = dict(ParameterModel(target).schema())
    properties = {k: dict(v) for k, v in schema.get("properties", {}).items()}
    for name, text in docstring_descriptions(inspect.getdoc(target)).items():
        if name in properties and text:
            properties[name].setdefault("description", text)
    return ParameterSchema(
        title=schema.get("title", "Parameters"),
        properties=properties,
        required=list(schema.get("required", [])),
        definitions=schema.get("$defs", {}),
    )


def get_call_parameters(
    fn: Callable[..., Any], call_args: tuple, call_kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The call's arguments by parameter name, defaults applied."""
    bound = inspect.signature(fn).bind(*call_args, **call_kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def parameters_to_args_kwargs(
    fn: Callable[..., Any], parameters: dict[str, Any]
) -> tuple[tuple, dict[str, Any]]:
    """(args, kwargs) to call `fn` with the parameters given by name."""
    bound = inspect.BoundArguments(inspect.signature(fn), dict(parameters))  # type: ignore[arg-type]
    return bound.args, bound.kwargs


__all__ = ["ParameterSchema", "get_call_parameters", "parameter_schema", "parameters_to_args_kwargs"]
