"""Notebook parameters as a JSON schema, and a small validator for such schemas.

The `parameters` cell (papermill's convention) is read with `ast` and never executed: a
deployment's schema must be computable on the server without running user code. Validation is
our own tiny checker rather than jsonschema/pydantic because the engine calls it on every run
and its messages are shown to users, so they must name the field and the expected type.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import math
import tokenize
from collections.abc import Mapping
from typing import Any

__all__ = ["ParameterError", "find_parameters_cell", "parameter_schema", "validate_parameters"]

_SIMPLE_TYPES = {
    "int": "integer",
    "float": "number",
    "str": "string",
    "bool": "boolean",
    "list": "array",
    "tuple": "array",
    "set": "array",
    "dict": "object",
    "List": "array",
    "Tuple": "array",
    "Set": "array",
    "Sequence": "array",
    "Dict": "object",
    "Mapping": "object",
    "None": "null",
    "NoneType": "null",
}
_DATE_FORMATS = {"date": "date", "datetime": "date-time"}


class ParameterError(ValueError):
    """A parameter value that does not match its schema; `field` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def find_parameters_cell(nb: Mapping) -> int | None:
    """Index of the first code cell tagged `parameters`, as papermill picks it."""
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return index
    return None


def parameter_schema(nb: Mapping, title: str = "Parameters") -> dict[str, Any]:
    """JSON schema of the notebook's `parameters` cell (empty properties when there is none).

    Every assignment at the top level of the cell becomes a property; its type comes from the
    annotation when there is one, else from the literal default. A bare annotation (`n: int`)
    has no default and is therefore required.
    """
    schema: dict[str, Any] = {"type": "object", "title": title, "properties": {}, "required": []}
    index = find_parameters_cell(nb)
    if index is None:
        return schema
    source = _source_text(nb["cells"][index].get("source", ""))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        source = _ipython_to_python(source)
        tree = ast.parse(source)
    comments = _comments_by_line(source)
    for stmt in tree.body:
        for name, annotation, value in _assignments(stmt):
            prop = _property(name, annotation, value)
            description = _description(comments, stmt)
            if description:
                prop["description"] = description
            schema["properties"][name] = prop
            if value is None:
                schema["required"].append(name)
    return schema


def _source_text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source


def _ipython_to_python(source: str) -> str:
    # Only needed for cells holding magics, so the IPython import stays off the common path.
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _assignments(stmt: ast.stmt) -> list[tuple[str, ast.expr | None, ast.expr | None]]:
    """(name, annotation, value) for each plain name the statement binds."""
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [(stmt.target.id, stmt.annotation, stmt.value)]
    if not isinstance(stmt, ast.Assign):
        return []
    found = []
    for target in stmt.targets:
        if isinstance(target, ast.Name):
            found.append((target.id, None, stmt.value))
        elif (
            isinstance(target, ast.Tuple | ast.List)
            and isinstance(stmt.value, ast.Tuple | ast.List)
            and len(target.elts) == len(stmt.value.elts)
        ):
            pairs = zip(target.elts, stmt.value.elts, strict=True)
            found += [(t.id, None, v) for t, v in pairs if isinstance(t, ast.Name)]
    return found


def _comments_by_line(source: str) -> dict[int, tuple[str, bool]]:
    """line -> (comment text, whether the comment is alone on its line)."""
    comments: dict[int, tuple[str, bool]] = {}
    lines = source.splitlines()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                alone = not lines[row - 1][:col].strip()
                comments[row] = (tok.string.lstrip("#").strip(), alone)
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


def _description(comments: dict[int, tuple[str, bool]], stmt: ast.stmt) -> str | None:
    trailing = comments.get(stmt.end_lineno or stmt.lineno)
    if trailing and not trailing[1]:
        return trailing[0] or None
    above: list[str] = []
    line = stmt.lineno - 1
    while line in comments and comments[line][1]:
        above.insert(0, comments[line][0])
        line -= 1
    return " ".join(part for part in above if part) or None


def _property(name: str, annotation: ast.expr | None, value: ast.expr | None) -> dict[str, Any]:
    prop: dict[str, Any] = {"title": name}
    default, has_default = _default(value)
    type_schema = _annotation_schema(annotation) if annotation is not None else None
    if type_schema is None and has_default:
        type_schema = _value_schema(default, value)
    if type_schema:
        if has_default and default is None and not _allows_null(type_schema):
            type_schema = {"anyOf": [type_schema, {"type": "null"}]}
        prop.update(type_schema)
    if has_default:
        prop["default"] = default
    return prop


def _allows_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(s.get("type") == "null" for s in schema.get("anyOf", []))


def _default(value: ast.expr | None) -> tuple[Any, bool]:
    """The JSON form of a default, and whether it could be determined statically."""
    if value is None:
        return None, False
    try:
        return _jsonable(ast.literal_eval(value)), True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    when = _date_call(value)
    if when is not None:
        return when.isoformat(), True
    return None, False


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes | complex):
        raise ValueError("not JSON-able")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not JSON-able")
    return value


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _date_call(node: ast.expr) -> dt.date | None:
    """`date(2024, 1, 1)`, `datetime.datetime(...)`, `date.fromisoformat("...")` with literal args."""
    if not isinstance(node, ast.Call) or node.keywords and not all(k.arg for k in node.keywords):
        return None
    func = _dotted(node.func) or ""
    kind = func.removeprefix("datetime.").split(".")
    try:
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        if kind == ["date"]:
            return dt.date(*args, **kwargs)
        if kind == ["datetime"]:
            return dt.datetime(*args, **kwargs)
        if len(kind) == 2 and kind[0] in _DATE_FORMATS and kind[1] == "fromisoformat":
            return getattr(dt, kind[0]).fromisoformat(*args)
    except (ValueError, TypeError, SyntaxError):
        return None
    return None


def _value_schema(default: Any, node: ast.expr | None) -> dict[str, Any] | None:
    if node is not None and _date_call(node) is not None:
        return {"type": "string", "format": "date-time" if "T" in default else "date"}
    if default is None:
        return None  # an unannotated `x = None` accepts anything, as Prefect does for `x=None`
    if isinstance(default, bool):
        return {"type": "boolean"}
    if isinstance(default, int):
        return {"type": "integer"}
    if isinstance(default, float):
        return {"type": "number"}
    if isinstance(default, str):
        return {"type": "string"}
    if isinstance(default, list):
        return {"type": "array"}  # element types only from an annotation: a default is an example
    if isinstance(default, dict):
        return {"type": "object"}
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    for kind, name in ((float, "number"), (str, "string"), (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    return "unknown"


def _annotation_schema(node: ast.expr) -> dict[str, Any] | None:
    """Schema for a type annotation; None when the annotation says nothing we can check."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return _annotation_schema(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return None
    if isinstance(node, ast.Constant) and node.value is None:
        return {"type": "null"}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([node.left, node.right])
    name = _dotted(node.value if isinstance(node, ast.Subscript) else node)
    if name is None:
        return None
    short = name.rsplit(".", 1)[-1]
    if not isinstance(node, ast.Subscript):
        if short in _DATE_FORMATS and name in (short, f"datetime.{short}"):
            return {"type": "string", "format": _DATE_FORMATS[short]}
        return {"type": _SIMPLE_TYPES[short]} if short in _SIMPLE_TYPES else None
    args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    if short == "Optional":
        return _union([args[0], ast.Constant(None)])
    if short == "Union":
        return _union(args)
    if short == "Literal":
        try:
            return {"enum": [_jsonable(ast.literal_eval(a)) for a in args]}
        except ValueError:
            return None
    kind = _SIMPLE_TYPES.get(short)
    if kind == "array":
        items = _annotation_schema(args[0]) if len(args) == 1 or short in ("list", "List") else None
        return {"type": "array", **({"items": items} if items else {})}
    if kind == "object":
        values = _annotation_schema(args[1]) if len(args) == 2 else None
        return {"type": "object", **({"additionalProperties": values} if values else {})}
    return {"type": kind} if kind else None


def _union(nodes: list[ast.expr]) -> dict[str, Any] | None:
    members = [_annotation_schema(n) for n in nodes]
    if any(m is None for m in members):
        return None
    flat: list[dict[str, Any]] = []
    for member in members:
        flat += member.get("anyOf", [member])  # type: ignore[union-attr]
    return flat[0] if len(flat) == 1 else {"anyOf": flat}


# --- validation -------------------------------------------------------------------------------


def validate_parameters(schema: Mapping[str, Any], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check `params` against an object schema and return the coerced values.

    Unknown names are rejected unless the schema sets `additionalProperties`; missing required
    names are rejected too. Coercion is lax the way pydantic's is (`"5"` -> 5 for an integer,
    a `date` object -> its ISO string) so values typed on a command line work.
    """
    params = dict(params or {})
    properties: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", False)
    result: dict[str, Any] = {}
    for name, value in params.items():
        if name in properties:
            result[name] = _check(value, properties[name], name, schema)
        elif extra is True or extra == {}:
            result[name] = value
        elif isinstance(extra, Mapping):
            result[name] = _check(value, extra, name, schema)
        else:
            known = ", ".join(sorted(properties)) or "none"
            raise ParameterError(name, f"unknown parameter '{name}' (known parameters: {known})")
    for name in schema.get("required", []):
        if name not in result:
            raise ParameterError(name, f"parameter '{name}': missing required value")
    return result


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{_json_type(value).replace('unknown', type(value).__name__)} {text}"


def _expected(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    schema = _resolve(schema, root)
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return f"{schema['const']!r}"
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return " or ".join(_expected(o, root) for o in options)
    kind = schema.get("type", "any value")
    text = " or ".join(kind) if isinstance(kind, list) else kind
    return f"{text} ({schema['format']})" if "format" in schema else text


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local `$ref`s (`#/definitions/X`, `#/$defs/X`) as pydantic schemas use them."""
    seen = 0
    while "$ref" in schema and seen < 32:
        node: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema


def _mismatch(value: Any, schema: Mapping[str, Any], field: str, root: Mapping[str, Any]) -> ParameterError:
    expected = _expected(schema, root)
    return ParameterError(field, f"parameter '{field}': expected {expected}, got {_describe(value)}")


def _check(value: Any, schema: Mapping[str, Any], field: str, root: Mapping[str, Any]) -> Any:
    schema = _resolve(schema, root)
    fail = _mismatch(value, schema, field, root)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        # Prefer an option that takes the value as it is, so "5" stays a string for `int | str`.
        for strict in (True, False):
            for option in options:
                try:
                    return _check_one(value, _resolve(option, root), field, root, strict)
                except ParameterError:
                    continue
        raise fail
    for sub in schema.get("allOf", []):
        value = _check(value, sub, field, root)
    return _check_one(value, schema, field, root, strict=False, fail=fail)


def _check_one(
    value: Any,
    schema: Mapping[str, Any],
    field: str,
    root: Mapping[str, Any],
    strict: bool,
    fail: ParameterError | None = None,
) -> Any:
    if "anyOf" in schema or "oneOf" in schema:
        return _check(value, schema, field, root)
    fail = fail or _mismatch(value, schema, field, root)
    kinds = schema.get("type")
    if kinds is not None:
        for kind in kinds if isinstance(kinds, list) else [kinds]:
            try:
                value = _coerce(value, kind, schema.get("format"), strict)
                break
            except (TypeError, ValueError):
                continue
        else:
            raise fail
    if "enum" in schema and value not in schema["enum"]:
        raise fail
    if "const" in schema and value != schema["const"]:
        raise fail
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        value = [_check(v, schema["items"], f"{field}[{i}]", root) for i, v in enumerate(value)]
    nested = schema.get("properties") or isinstance(schema.get("additionalProperties"), Mapping)
    if isinstance(value, dict) and nested:
        value = _check_object(value, schema, field, root)
    return value


def _check_object(value: dict, schema: Mapping[str, Any], field: str, root: Mapping[str, Any]) -> dict:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    out = {}
    for key, item in value.items():
        sub = properties.get(key, extra if isinstance(extra, Mapping) else None)
        if sub is None and extra is False:
            raise ParameterError(f"{field}.{key}", f"parameter '{field}': unexpected key '{key}'")
        out[key] = _check(item, sub, f"{field}.{key}", root) if sub is not None else item
    for key in schema.get("required", []):
        if key not in out:
            raise ParameterError(f"{field}.{key}", f"parameter '{field}': missing required key '{key}'")
    return out


def _coerce(value: Any, kind: str, fmt: str | None, strict: bool) -> Any:
    """Return `value` as JSON type `kind`, or raise TypeError/ValueError."""
    if kind == "null":
        if value is None:
            return None
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
        if not strict and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if not strict and isinstance(value, float) and value.is_integer():
            return int(value)
        if not strict and isinstance(value, str):
            return int(value.strip())
    elif kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return value
        if not strict and isinstance(value, str):
            number = float(value.strip())
            if math.isfinite(number):
                integral = number.is_integer() and not any(c in value.lower() for c in ".e")
                return int(number) if integral else number
    elif kind == "string":
        if isinstance(value, dt.date):
            value = value.isoformat()
        if isinstance(value, str):
            if fmt == "date":
                dt.date.fromisoformat(value)
            elif fmt == "date-time":
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return value
    elif kind == "array":
        if isinstance(value, list | tuple):
            return list(value)
    elif kind == "object":
        if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
            return dict(value)
    else:
        return value  # a type this checker does not know: accept rather than block a run
    raise TypeError(kind)
