"""Checking parameter values against a JSON schema (a deployment's or a notebook's) with jsonschema.

Values typed on a command line or in a form arrive as strings, so before validation each value is
coerced to the type its schema asks for, by the table `_COERCE` (`"5"` -> 5 for an integer,
`"true"` -> True, a `date` -> its ISO string), the way pydantic's lax mode does. jsonschema then
checks everything, and its first error becomes a ParameterError naming the parameter (`n`,
`ids[1]`, `point.x`) and what was expected.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jupyter_orch.parameters.errors import ParameterError

__all__ = ["validate_parameters"]


def _int_from(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise TypeError(value)


def _number_from(value: Any) -> int | float:
    if isinstance(value, str):
        number = float(value.strip())
        if math.isfinite(number):
            integral = number.is_integer() and not any(c in value.lower() for c in ".e")
            return int(number) if integral else number
    raise TypeError(value)


def _bool_from(value: Any) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TypeError(value)


def _string_from(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(value)


def _array_from(value: Any) -> list:
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(value)


# JSON type -> (does a value already have it, how to convert one that does not)
_COERCE: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Any]]] = {
    "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), _int_from),
    "number": (lambda v: isinstance(v, int | float) and not isinstance(v, bool), _number_from),
    "boolean": (lambda v: isinstance(v, bool), _bool_from),
    "string": (lambda v: isinstance(v, str), _string_from),
    "array": (lambda v: isinstance(v, list), _array_from),
}


def validate_parameters(schema: Mapping[str, Any], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check `params` against an object schema and return the coerced values.

    Unknown names are rejected unless the schema sets `additionalProperties`; missing required
    names are rejected too. Raises ParameterError naming the first parameter that is wrong.
    """
    params = dict(params or {})
    root = {**schema, "additionalProperties": schema.get("additionalProperties", False)}
    validator = _validator(root)
    values = _coerce_object(params, root, validator)
    errors = list(validator.iter_errors(values))
    if errors:
        order = list(params)
        raise min((_error(e, root) for e in errors), key=lambda err: _position(err.field, order))
    return values


def _validator(root: Mapping[str, Any]) -> Any:
    # jsonschema takes ~50 ms to import: only deployment and notebook runs need it, not the engine
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for

    cls = validator_for(root, default=Draft202012Validator)
    return cls(root, format_checker=_format_checker())


@cache
def _format_checker() -> Any:
    """`date` and `date-time` as Python reads them; other formats are not checked (as before)."""
    from jsonschema import FormatChecker  # see _validator

    checker = FormatChecker(formats=())

    @checker.checks("date", raises=ValueError)
    def _date(value: Any) -> bool:
        return not isinstance(value, str) or bool(dt.date.fromisoformat(value))

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: Any) -> bool:
        return not isinstance(value, str) or bool(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))

    return checker


# --- coercion -----------------------------------------------------------------------------------


def _coerce(value: Any, schema: Mapping[str, Any], validator: Any) -> Any:
    """`value` converted towards `schema` where a conversion applies; left as it is otherwise."""
    schema = _resolve(schema, validator.schema)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return _coerce_union(value, options, validator)
    for sub in schema.get("allOf", ()):
        value = _coerce(value, sub, validator)
    value = _coerce_type(value, schema.get("type"))
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [_coerce(v, schema["items"], validator) for v in value]
    if isinstance(value, dict):
        return _coerce_object(value, schema, validator)
    return value


def _coerce_type(value: Any, kinds: str | list[str] | None) -> Any:
    if kinds is None:
        return value
    table = [_COERCE[k] for k in ([kinds] if isinstance(kinds, str) else kinds) if k in _COERCE]
    if any(has(value) for has, _ in table):
        return value
    for _, convert in table:
        try:
            return convert(value)
        except (TypeError, ValueError):
            continue
    return value  # jsonschema names the mismatch


def _coerce_union(value: Any, options: list[Mapping[str, Any]], validator: Any) -> Any:
    # an option that takes the value as it is wins, so "5" stays a string for `int | str`
    for option in options:
        if validator.evolve(schema=option).is_valid(value):
            return value
    for option in options:
        coerced = _coerce(value, option, validator)
        if validator.evolve(schema=option).is_valid(coerced):
            return coerced
    return value


def _coerce_object(value: dict, schema: Mapping[str, Any], validator: Any) -> dict:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    extra = extra if isinstance(extra, Mapping) else {}
    return {key: _coerce(item, properties.get(key, extra), validator) for key, item in value.items()}


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local `$ref`s (`#/$defs/X`, `#/definitions/X`) as pydantic schemas use them."""
    for _ in range(32):
        if "$ref" not in schema or not str(schema["$ref"]).startswith("#"):
            break
        node: Any = root
        for part in str(schema["$ref"]).lstrip("#/").split("/"):
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if part else node
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


# --- errors -------------------------------------------------------------------------------------

# validators whose failure is best said as "expected <what the schema allows>, got <value>"
_EXPECTED = frozenset({"type", "enum", "const", "anyOf", "oneOf", "format"})


def _error(err: Any, root: Mapping[str, Any]) -> ParameterError:
    err = _deepest(err)
    path = list(err.absolute_path)
    field = _field(path)
    if err.validator == "required":
        key = next((k for k in err.validator_value if k not in err.instance), "?")
        if not path:
            return ParameterError(key, f"parameter '{key}': missing required value")
        return ParameterError(f"{field}.{key}", f"parameter '{field}': missing required key '{key}'")
    if err.validator == "additionalProperties":
        known = err.schema.get("properties", {})
        key = next((k for k in err.instance if k not in known), "?")
        if not path:
            names = ", ".join(sorted(known)) or "none"
            return ParameterError(key, f"unknown parameter '{key}' (known parameters: {names})")
        return ParameterError(f"{field}.{key}", f"parameter '{field}': unexpected key '{key}'")
    if err.validator in _EXPECTED:
        what = f"expected {_expected(err.schema, root)}, got {_short(err.instance)}"
    else:
        what = err.message
    return ParameterError(field, f"parameter '{field}': {what}")


def _deepest(err: Any) -> Any:
    """Inside `anyOf`/`oneOf`, the error of the option the value was meant for: one deeper in the
    value (`ids[1]`) or about more than its type (`minimum`). Else "expected A or B" says it best."""
    while err.validator in ("anyOf", "oneOf") and err.context:
        meant = [e for e in err.context if e.relative_path or e.validator not in _EXPECTED]
        if not meant:
            break
        err = meant[0]
    return err


def _field(path: list[Any]) -> str:
    """`ids[1]`, `point.x`: the way a user names the wrong part of a parameter."""
    out = str(path[0]) if path else ""
    for part in path[1:]:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _position(field: str, order: list[str]) -> int:
    name = field.split(".", 1)[0].split("[", 1)[0]
    return order.index(name) if name in order else len(order)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    schema = _resolve(schema, root)
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return " or ".join(_expected(o, root) for o in options)
    kind = schema.get("type", "any value")
    text = " or ".join(kind) if isinstance(kind, list) else kind
    return f"{text} ({schema['format']})" if "format" in schema else text
