"""A Python flow's parameters: their JSON schema and the validation of a call, from the signature.

A flow called in-process gets Python values back (a `date`, a pydantic model), so calls are checked
and coerced with pydantic, which also writes the schema a deployment stores; without type hints
neither pydantic nor a check is needed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from jupyter_orch.parameters.errors import ParameterBindFailure, ParameterValidationError
from jupyter_orch.parameters.values import is_json

_SKIP_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


class ParameterModel:
    """Schema and validator for one function's parameters (built once per flow)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        try:  # string annotations (`from __future__ import annotations`) resolved to types
            self.signature = inspect.signature(fn, eval_str=True)
        except Exception:
            self.signature = inspect.signature(fn)
        self.params = [p for p in self.signature.parameters.values() if p.kind not in _SKIP_KINDS]
        self.annotated = any(p.annotation is not inspect.Parameter.empty for p in self.params)
        self._model: Any = None
        self._schema: dict[str, Any] | None = None
        self._fn_name = getattr(fn, "__name__", "flow")
        self.fn = fn

    def bind(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's arguments by name, defaults applied; a wrong call names what is wrong."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ParameterBindFailure.from_bind_failure(self.fn, exc, args, kwargs) from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def call_args(self, values: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        """(args, kwargs) to call the function with bound `values`."""
        bound = inspect.BoundArguments(self.signature, values)  # type: ignore[arg-type]
        return bound.args, bound.kwargs

    def _pydantic_model(self) -> Any:
        if self._model is None:
            # pydantic costs ~100 ms to import; untyped flows never need it
            from pydantic import ConfigDict, Field, create_model

            fields: dict[str, Any] = {}
            for p in self.params:
                ann = Any if p.annotation is inspect.Parameter.empty else p.annotation
                default = ... if p.default is inspect.Parameter.empty else p.default
                fields[p.name] = (ann, Field(default, title=p.name))  # titled by name, as Prefect's
            self._model = create_model(
                "Parameters", __config__=ConfigDict(arbitrary_types_allowed=True), **fields
            )
        return self._model

    def schema(self) -> dict[str, Any]:
        """`{"type": "object", "title": "Parameters", "properties": {...}, "required": [...]}`."""
        if self._schema is None:
            schema = self._typed_schema() if self.annotated else None
            if schema is None:
                schema = self._plain_schema()
            for i, p in enumerate(self.params):
                schema.get("properties", {}).get(p.name, {})["position"] = i
            self._schema = schema
        return self._schema

    def _typed_schema(self) -> dict[str, Any] | None:
        try:
            return self._pydantic_model().model_json_schema()
        except Exception:  # a type pydantic cannot describe: fall back to the plain shape
            return None

    def _plain_schema(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        required = []
        for p in self.params:
            prop: dict[str, Any] = {"title": p.name}
            if p.default is inspect.Parameter.empty:
                required.append(p.name)
            elif is_json(p.default):
                prop["default"] = p.default
            props[p.name] = prop
        schema: dict[str, Any] = {"title": "Parameters", "type": "object", "properties": props}
        if required:
            schema["required"] = required
        return schema

    def validate(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values coerced to their annotated types, or ParameterValidationError naming one."""
        if not self.annotated:
            return values
        from pydantic import ValidationError  # loaded with the model above

        model = self._pydantic_model()
        named = {p.name for p in self.params}
        try:
            obj = model.model_validate({k: v for k, v in values.items() if k in named})
        except ValidationError as exc:
            raise self._error(exc, values) from None
        out = dict(values)
        for name in named:
            out[name] = getattr(obj, name)
        return out

    def _error(self, exc: Any, values: dict[str, Any]) -> ParameterValidationError:
        err = exc.errors()[0]
        loc = err.get("loc") or ("?",)
        name = str(loc[0])
        expected = self.schema().get("properties", {}).get(name, {}).get("type")
        got = err.get("input", values.get(name))
        if err.get("type") == "missing":
            return ParameterValidationError(f"parameter {name!r}: a value is required", name)
        where = "".join(f"[{x!r}]" for x in loc[1:])
        what = f"expected {expected}" if expected and not where else err.get("msg", "invalid value")
        return ParameterValidationError(f"parameter {name!r}{where}: {what}, got {got!r}", name)
