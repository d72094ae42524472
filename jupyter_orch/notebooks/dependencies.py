"""Which earlier cells a `%%flow` cell needs, and the notebook a cell deployment runs.

A cell deployment must not re-run the whole notebook (slow, side effects) yet must recreate
every name the cell uses. We approximate the kernel's namespace statically: each cell is turned
into plain Python by IPython's own input transformer, then analysed with `ast` for the names it
reads before binding them and the names it binds. Mutations we cannot see (`xs.append(1)`) are
out of reach; subscript and attribute stores (`df["a"] = ...`) count as redefinitions.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import nbformat
from nbformat import NotebookNode

from jupyter_orch.parameters import find_parameters_cell

__all__ = ["CellNames", "analyze_cell", "build_cell_notebook", "cells_needed", "notebook_cells_needed"]

# Cell magics whose body is ordinary Python run in the user namespace.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "flow"}
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# nodes whose `name` they bind (an `except ... as e`, a `case x`, a def or class)
_NAMED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.MatchAs, ast.MatchStar, ast.ExceptHandler)


# statement class name -> the _Walker method that follows it; others read all and bind stores
_STATEMENTS = {
    **dict.fromkeys(("FunctionDef", "AsyncFunctionDef", "ClassDef"), "_define"),
    **dict.fromkeys(("Import", "ImportFrom"), "_import"),
    **dict.fromkeys(("Assign", "AnnAssign", "AugAssign"), "_assign"),
    **dict.fromkeys(("For", "AsyncFor"), "_for"),
    **dict.fromkeys(("While", "If"), "_branch"),
    **dict.fromkeys(("With", "AsyncWith"), "_with"),
    **dict.fromkeys(("Try", "TryStar"), "_try"),
    "Delete": "_delete",
}


@dataclass
class CellNames:
    """Module-level names a cell reads before binding them, and names it binds."""

    reads: set[str] = field(default_factory=set)
    defines: set[str] = field(default_factory=set)


def strip_flow_magic(source: str) -> str:
    """The cell body without a leading `%%flow ...` line."""
    lines = source.splitlines(keepends=True)
    if lines and lines[0].lstrip().startswith("%%flow"):
        return "".join(lines[1:])
    return source


def _to_python(source: str) -> str | None:
    # heavy: IPython, only for cells holding magics
    from IPython.core.inputtransformer2 import TransformerManager

    stripped = source.lstrip()
    if stripped.startswith("%%"):
        magic = stripped[2:].split(None, 1)[0] if stripped[2:].strip() else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return None  # %%bash, %%html, %%writefile...: no Python names
        source = stripped.split("\n", 1)[1] if "\n" in stripped else ""
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython raises assorted errors on malformed magics
        return None


def analyze_cell(source: str) -> CellNames:
    """Reads/defines of one cell; an unparsable cell reads and defines nothing."""
    python = _to_python(source)
    if python is None:
        return CellNames()
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError):
        return CellNames()
    names = CellNames()
    _Walker(names).block(tree.body)
    return names


class _Walker:
    """Walks module-level statements in execution order, tracking read-before-bind names."""

    def __init__(self, names: CellNames) -> None:
        self.names = names

    def read(self, found: Iterable[str]) -> None:
        self.names.reads.update(n for n in found if n not in self.names.defines)

    def bind(self, found: Iterable[str]) -> None:
        self.names.defines.update(found)

    def block(self, stmts: Sequence[ast.stmt]) -> None:
        for stmt in stmts:
            self.stmt(stmt)

    def stmt(self, stmt: ast.stmt) -> None:
        # by class name, so that `try/except*` (ast.TryStar, Python 3.11+) needs no version check
        visit = getattr(self, _STATEMENTS.get(type(stmt).__name__, "_other"))
        visit(stmt)

    def _define(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.read(_free_names(stmt, frozenset()))
        self.bind([stmt.name])

    def _import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        self.bind(_imported(stmt))

    def _assign(self, stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if stmt.value is not None:
            self.read(_free_names(stmt.value, frozenset()))
        if isinstance(stmt, ast.AugAssign):
            self.read(_bound(stmt.target))
        for target in targets:
            self.target(target)
        self.bind(_walrus(stmt.value) if stmt.value is not None else ())

    def _for(self, stmt: ast.For | ast.AsyncFor) -> None:
        self.expr(stmt.iter)
        self.target(stmt.target)
        self.block(stmt.body)
        self.block(stmt.orelse)

    def _branch(self, stmt: ast.While | ast.If) -> None:
        self.expr(stmt.test)
        self.block(stmt.body)
        self.block(stmt.orelse)

    def _with(self, stmt: ast.With | ast.AsyncWith) -> None:
        for item in stmt.items:
            self.expr(item.context_expr)
            if item.optional_vars is not None:
                self.target(item.optional_vars)
        self.block(stmt.body)

    def _try(self, stmt: ast.Try) -> None:
        self.block(stmt.body)
        for handler in stmt.handlers:
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name:
                self.bind([handler.name])
            self.block(handler.body)
        self.block(stmt.orelse)
        self.block(stmt.finalbody)

    def _delete(self, stmt: ast.Delete) -> None:
        for target in stmt.targets:
            self.read(_free_names(target, frozenset()) | _bound(target))

    def _other(self, stmt: ast.stmt) -> None:
        """Expressions, match, return, raise, assert, global...: read everything, bind stores."""
        self.read(_free_names(stmt, frozenset()))
        self.bind(_bound(stmt) | _walrus(stmt))

    def expr(self, node: ast.expr) -> None:
        self.read(_free_names(node, frozenset()))
        self.bind(_walrus(node))

    def target(self, target: ast.expr) -> None:
        """A store target: a plain name binds; `a[i] = ` / `a.x = ` reads then rebinds `a`."""
        self.read(_free_names(target, frozenset()))
        base = target
        while isinstance(base, ast.Subscript | ast.Attribute | ast.Starred):
            base = base.value
        if base is not target and isinstance(base, ast.Name):
            self.read([base.id])
            self.bind([base.id])
        else:
            self.bind(_bound(target))


def _bound(node: ast.AST) -> set[str]:
    """Names stored by `node` in the current scope, not descending into nested scopes."""
    found: set[str] = set()
    for child in _walk_scope(node):
        if child is not node or not isinstance(child, _SCOPES):
            found.update(_stored(child))
    return found


def _stored(node: ast.AST) -> Iterable[str]:
    """The names one node binds: a store, a match capture, a def or class, an import, `as e`."""
    if isinstance(node, ast.Name):
        return [node.id] if isinstance(node.ctx, ast.Store | ast.Del) else []
    if isinstance(node, ast.Import | ast.ImportFrom):
        return _imported(node)
    if isinstance(node, ast.MatchMapping):
        return [node.rest] if node.rest else []
    if isinstance(node, _NAMED):
        return [node.name] if node.name else []
    return []


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]


def _walrus(node: ast.AST) -> set[str]:
    """Targets of `:=` anywhere outside functions (comprehensions leak them to the module)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.NamedExpr) and isinstance(current.target, ast.Name):
            found.add(current.target.id)
        if current is node or not isinstance(current, _SCOPES):
            stack.extend(ast.iter_child_nodes(current))
    return found


def _walk_scope(node: ast.AST):
    """Like ast.walk but yields nested scope nodes without entering them."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is node or not isinstance(current, _SCOPES + _COMPREHENSIONS):
            stack.extend(ast.iter_child_nodes(current))


def _free_names(node: ast.AST, enclosing: frozenset[str]) -> set[str]:
    """Global names `node` loads, including those loaded inside nested functions and classes."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return _function_free_names(node, enclosing)
    if isinstance(node, ast.ClassDef):
        return _class_free_names(node, enclosing)
    if isinstance(node, _COMPREHENSIONS):
        targets: set[str] = set()
        for gen in node.generators:
            targets |= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        return _loads(node, enclosing | targets)
    return _loads(node, enclosing)


def _function_free_names(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, enclosing: frozenset[str]
) -> set[str]:
    args = node.args
    every = args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]
    # evaluated where the function is defined: defaults, decorators, annotations
    outside: list[ast.AST] = args.defaults + [d for d in args.kw_defaults if d is not None]
    if not isinstance(node, ast.Lambda):
        outside += node.decorator_list
        outside += [a.annotation for a in every if a is not None and a.annotation is not None]
        outside += [node.returns] if node.returns is not None else []
    outer: set[str] = set()
    for part in outside:
        outer |= _free_names(part, enclosing)
    params = {a.arg for a in every if a is not None}
    body = node.body if isinstance(node.body, list) else [node.body]
    return outer | _scope_body(body, params, enclosing)


def _class_free_names(node: ast.ClassDef, enclosing: frozenset[str]) -> set[str]:
    outer: set[str] = set()
    for part in node.bases + [k.value for k in node.keywords] + node.decorator_list:
        outer |= _free_names(part, enclosing)
    # Class-level names are not visible inside methods, so methods see only `enclosing`.
    local: set[str] = set()
    for stmt in node.body:
        local |= _bound(stmt)
    inner: set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, _SCOPES):
            inner |= _free_names(stmt, enclosing)
        else:
            inner |= _loads(stmt, enclosing | local)
    return outer | inner


def _scope_body(body: Sequence[ast.AST], params: set[str], enclosing: frozenset[str]) -> set[str]:
    local = set(params)
    declared_global: set[str] = set()
    for stmt in body:
        for child in _walk_scope(stmt):
            if isinstance(child, ast.Global):
                declared_global.update(child.names)
        local |= _bound(stmt) | _walrus(stmt)
    local -= declared_global
    inner = frozenset(enclosing | local)
    found: set[str] = set()
    for stmt in body:
        found |= _loads(stmt, inner)
    return found


def _loads(node: ast.AST, visible: frozenset[str] | set[str]) -> set[str]:
    """Loaded names not in `visible`, recursing into nested scopes with their own locals."""
    found: set[str] = set()
    for child in _walk_scope(node):
        if child is not node and isinstance(child, _SCOPES + _COMPREHENSIONS):
            found |= _free_names(child, frozenset(visible))
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load) and child.id not in visible:
            found.add(child.id)
    return found


def cells_needed(sources: Sequence[str], target_index: int, parameters_index: int | None = None) -> list[int]:
    """Indices of the cells before `target_index` that the target needs, in order.

    For each name a cell reads, the last earlier cell defining it is needed; if that cell also
    reads the name (`x = x + 1`), the definer before it is needed too. Needed cells' own reads
    are resolved the same way. The parameters cell is always included.
    """
    analyses = [analyze_cell(src) for src in sources[:target_index]]
    target = analyze_cell(strip_flow_magic(sources[target_index]))
    needed: set[int] = set()
    pending: list[tuple[str, int]] = [(name, target_index) for name in target.reads]
    if parameters_index is not None and parameters_index < target_index:
        needed.add(parameters_index)
        pending += [(name, parameters_index) for name in analyses[parameters_index].reads]
    seen: set[tuple[str, int]] = set()
    while pending:
        name, before = pending.pop()
        if (name, before) in seen:
            continue
        seen.add((name, before))
        for index in range(before - 1, -1, -1):
            cell = analyses[index]
            if name in cell.defines:
                if index not in needed:
                    needed.add(index)
                    pending += [(read, index) for read in cell.reads]
                if name in cell.reads:
                    pending.append((name, index))
                break
    return sorted(needed)


def _cell_sources(nb: NotebookNode) -> list[str]:
    """One source per notebook cell; non-code cells are empty so indices stay aligned."""
    return [
        "".join(c.source) if isinstance(c.source, list) else c.source if c.cell_type == "code" else ""
        for c in nb.cells
    ]


def notebook_cells_needed(nb: NotebookNode, target_index: int) -> list[int]:
    """`cells_needed` over a notebook's own cell indices, finding the `parameters` cell by tag."""
    return cells_needed(_cell_sources(nb), target_index, find_parameters_cell(nb))


def build_cell_notebook(
    nb: NotebookNode, target_index: int, needed: Sequence[int] | None = None
) -> NotebookNode:
    """A runnable notebook: parameters cell, the needed cells in order, then the target's body.

    An empty `parameters` cell is added when the source has none, so papermill always injects
    right after it. Which original cells were taken is kept in `metadata.jupyter_orch`.
    """
    if needed is None:
        needed = notebook_cells_needed(nb, target_index)
    params_index = find_parameters_cell(nb)
    out = nbformat.v4.new_notebook()
    keep = ("kernelspec", "language_info")
    out.metadata = copy.deepcopy({k: v for k, v in nb.metadata.items() if k in keep})
    if params_index is not None:
        out.cells.append(_fresh_cell(nb.cells[params_index].source, nb.cells[params_index].metadata))
    else:
        out.cells.append(nbformat.v4.new_code_cell("", metadata={"tags": ["parameters"]}))
    for index in sorted(set(needed) - {params_index, target_index}):
        cell = nb.cells[index]
        if cell.cell_type == "code" and index < target_index:
            out.cells.append(_fresh_cell(cell.source, cell.metadata))
    target = nb.cells[target_index]
    out.cells.append(_fresh_cell(strip_flow_magic(_text(target.source)), target.metadata))
    taken = {*needed, *([params_index] if params_index is not None else [])} - {target_index}
    out.metadata["jupyter_orch"] = {
        "source_cells": sorted(taken),
        "target_cell": target_index,
    }
    return out


def _text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source


def _fresh_cell(source: str | list[str], metadata: dict) -> NotebookNode:
    keep = {k: copy.deepcopy(v) for k, v in metadata.items() if k in ("tags", "jupyter")}
    return nbformat.v4.new_code_cell(_text(source), metadata=keep)
