"""A notebook's `parameters` cell as a JSON schema.

The cell (papermill's convention: the first code cell tagged `parameters`) is read with `ast` and
never executed: a deployment's schema must be computable on the server without running user code.
Works on the notebook as a plain mapping, so nbformat (slow to import) is not needed here.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import math
import tokenize
from collections.abc import Mapping
from typing import Any

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
# a default's JSON type; bool before int, as True is an int too
_DEFAULT_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


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
        return _literal_json(ast.literal_eval(value)), True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    when = _date_call(value)
    if when is not None:
        return when.isoformat(), True
    return None, False


def _literal_json(value: Any) -> Any:
    """A literal default as JSON; ValueError for what JSON cannot hold (bytes, inf, ...)."""
    if isinstance(value, tuple | set | frozenset):
        return [_literal_json(v) for v in value]
    if isinstance(value, list):
        return [_literal_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _literal_json(v) for k, v in value.items()}
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
    # `x = None` unannotated accepts anything, as Prefect does for `x=None`; a list or dict default
    # is an example, so element types come only from an annotation
    for kind, name in _DEFAULT_TYPES:
        if isinstance(default, kind):
            return {"type": name}
    return None


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
    if isinstance(node, ast.Subscript):
        return _generic_schema(node)
    name = _dotted(node)
    if name is None:
        return None
    short = name.rsplit(".", 1)[-1]
    if short in _DATE_FORMATS and name in (short, f"datetime.{short}"):
        return {"type": "string", "format": _DATE_FORMATS[short]}
    return {"type": _SIMPLE_TYPES[short]} if short in _SIMPLE_TYPES else None


def _generic_schema(node: ast.Subscript) -> dict[str, Any] | None:
    """`list[int]`, `dict[str, float]`, `Optional[X]`, `Union[...]`, `Literal[...]`."""
    name = _dotted(node.value)
    if name is None:
        return None
    short = name.rsplit(".", 1)[-1]
    args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    if short == "Optional":
        return _union([args[0], ast.Constant(None)])
    if short == "Union":
        return _union(args)
    if short == "Literal":
        return _literal_schema(args)
    kind = _SIMPLE_TYPES.get(short)
    if kind == "array":
        items = _annotation_schema(args[0]) if len(args) == 1 or short in ("list", "List") else None
        return {"type": "array", **({"items": items} if items else {})}
    if kind == "object":
        values = _annotation_schema(args[1]) if len(args) == 2 else None
        return {"type": "object", **({"additionalProperties": values} if values else {})}
    return {"type": kind} if kind else None


def _literal_schema(args: list[ast.expr]) -> dict[str, Any] | None:
    try:
        return {"enum": [_literal_json(ast.literal_eval(a)) for a in args]}
    except ValueError:
        return None


def _union(nodes: list[ast.expr]) -> dict[str, Any] | None:
    members = [_annotation_schema(n) for n in nodes]
    if any(m is None for m in members):
        return None
    flat: list[dict[str, Any]] = []
    for member in members:
        flat += member.get("anyOf", [member])  # type: ignore[union-attr]
    return flat[0] if len(flat) == 1 else {"anyOf": flat}
