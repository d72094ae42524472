"""The package's shape, checked on every test run: layers that import only downward, no import
circles, small modules and simple functions.

The layer list below is the architecture as the README's "How it fits together" draws it; a change
that needs an upward import or a circle is a change of design, made here first, on purpose.

An import inside a function is for an optional or heavy dependency only (what a first flow call or
`import jupyter_orch` should not load), and says why in a comment on its line or the line above
(a block of imports shares the comment above its first, blank lines between sections included).

`PENDING` lists, by rule, what is still known to break it while issue #13 lands in pieces, each
with the engineer whose piece removes it. Only these may fail; anything new fails the test, and an
entry whose breach is gone is reported (a warning) so that it is deleted.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "jupyter_orch"

# fmt: off
#: top to bottom; a module may import its own layer or any layer below it, never one above.
LAYERS: list[tuple[str, ...]] = [
    ("cli", "magics", "widgets", "server", "testing"),
    # the engine and Prefect's public modules around it (they report through the client)
    ("engine", "flows", "tasks", "futures", "task_runners", "artifacts", "task_worker", "flow_runs",
     "variables", "blocks", "cache_policies", "deployments", "storage", "filesystems", "config_client",
     "utilities", "input", "context", "runtime", "logging", "transactions", "schedules", "events", "docker",
     "task_engine", "flow_engine", "concurrency"),
    # below the engine (Flow.serve/deploy/to_deployment call it); above the services, because
    # serve() is one of the two places that start them (the server is the other): services are
    # background loops over the store and a worker, composed once by services.build(), and the
    # runner is an entry point that composes them, never the other way round
    ("runner",),
    ("services",),
    # the worker starts a run's process by module name (run_spec.RUN_PROCESS_MODULE, the engine's
    # run_process) and hands it a core RunSpec: it never imports the engine or the flows it runs
    ("workers",),
    ("client",),
    ("api",),
    ("orchestration",),
    ("db",),
    ("states", "settings", "scheduling", "parameters", "results", "serializers", "run_spec", "entrypoints",
     "errors", "notebooks", "timefmt", "exceptions", "secrets", "limits", "_core", "version", "types",
     "locking", "annotations", "enums", "coroutines", "_internal", "_states"),
]

#: rule -> {pattern (fnmatch) of breaches as the tests below name them: who removes them, why}
L = "layers (#13)"
PENDING: dict[str, dict[str, str]] = {
    "upward": {},
    "circles": {},
    "lines": {},
    "complexity": {},
    "reasons": {},
}
# fmt: on

MAX_LINES = 400
MAX_COMPLEXITY = 15
EXEMPT = ("jupyter_orch/db/migrations/",)


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel.startswith(EXEMPT) or "/labextension/" in rel:
            continue
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _check(rule: str, found: list[str], title: str) -> None:
    """Fail on breaches no PENDING[rule] pattern (fnmatch) covers; warn about patterns that cover
    nothing any more."""
    pending = PENDING[rule]
    new = sorted(f for f in found if not any(fnmatch(f, p) for p in pending))
    gone = sorted(p for p in pending if not any(fnmatch(f, p) for f in found))
    if gone:
        warnings.warn(f"{rule}: no longer found, delete from PENDING: {gone}", stacklevel=2)
    assert not new, f"{title}:\n" + "\n".join(new)


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package root re-exports lazily from every layer
    for rank, names in enumerate(LAYERS):
        if parts[1] in names:
            return rank
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> Iterator[str]:
    """Project modules `module` imports anywhere (functions too), except under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("jupyter_orch"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_pkg else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            if base.startswith("jupyter_orch"):
                yield base
                yield from (f"{base}.{a.name}" for a in node.names)
        stack.extend(ast.iter_child_nodes(node))


def _graph() -> dict[str, set[str]]:
    mods = dict(_modules())
    graph: dict[str, set[str]] = {}
    for module, path in mods.items():
        targets = {t for t in _imports(module, path) if t in mods and t != module}
        # importing a.b.c runs a.b's __init__ too, but that is not this module's dependency choice
        graph[module] = targets
    return graph


def test_imports_point_down() -> None:
    upward = []
    for module, targets in _graph().items():
        here = _layer(module)
        for target in targets:
            there = _layer(target)
            if here is not None and there is not None and there < here:
                upward.append(f"{module} -> {target}")
    _check("upward", upward, "imports that run back up the layers")


def test_every_subpackage_has_a_layer() -> None:
    unplaced = sorted({m.split(".")[1] for m, _ in _modules() if "." in m and _layer(m) is None})
    assert not unplaced, f"modules with no layer in LAYERS: {unplaced}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        comp.append(member)
                        if member == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_no_import_circles() -> None:
    graph = _graph()
    # a package's __init__ re-exporting its own modules is not a circle of design
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    cycles = _cycles(graph)
    _check("circles", [" <-> ".join(c) for c in cycles], "import circles")


def test_modules_are_small() -> None:
    big = [
        path.relative_to(PACKAGE.parent).as_posix()
        for _, path in _modules()
        if len(path.read_text().splitlines()) > MAX_LINES
    ]
    _check("lines", big, f"modules over {MAX_LINES} lines")


def test_functions_are_simple() -> None:
    radon = pytest.importorskip("radon.complexity")  # in the test extras
    complex_ = []
    for _, path in _modules():
        for block in radon.cc_visit(path.read_text()):
            if block.complexity > MAX_COMPLEXITY:
                name = f"{block.classname}.{block.name}" if getattr(block, "classname", None) else block.name
                complex_.append(f"{path.relative_to(PACKAGE.parent).as_posix()}: {name}")
    _check("complexity", complex_, f"functions over cyclomatic complexity {MAX_COMPLEXITY}")


def _local_imports(tree: ast.AST) -> Iterator[tuple[str, ast.Import | ast.ImportFrom]]:
    """(qualified name of the enclosing function, import) for every import inside a function."""
    stack: list[tuple[ast.AST, str, bool]] = [(tree, "", False)]
    while stack:
        node, scope, in_function = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function:
                yield scope, child
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{scope}.{child.name}" if scope else child.name
                stack.append((child, name, in_function or not isinstance(child, ast.ClassDef)))
            else:
                stack.append((child, scope, in_function))


#: comments that are tool directives, not reasons
_PRAGMA = re.compile(r"\s*(noqa\b[:\s\w,]*|type:\s*ignore(\[[^\]]*\])?|pragma:[^#]*|fmt:\s*\w+)\s*")


def _says_why(line: str) -> bool:
    """Whether `line` has a comment that is more than a tool directive."""
    _, hash_, comment = line.partition("#")
    return bool(hash_) and any(part.strip() and not _PRAGMA.fullmatch(part) for part in comment.split("#"))


def test_local_imports_say_why() -> None:
    silent = []
    for _, path in _modules():
        source = path.read_text()
        lines = source.splitlines()
        found = sorted(_local_imports(ast.parse(source, str(path))), key=lambda item: item[1].lineno)
        explained: set[int] = set()  # last lines of the imports that have a reason
        for scope, node in found:
            above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            if (
                _says_why(lines[node.lineno - 1])
                or (above.startswith("#") and _says_why(above))
                or node.lineno - 1 in explained
                or (not above and node.lineno - 2 in explained)  # the next section of the same block
            ):
                explained.add(node.end_lineno or node.lineno)
                continue
            module = "." * getattr(node, "level", 0) + (getattr(node, "module", None) or node.names[0].name)
            silent.append(f"{path.relative_to(PACKAGE.parent).as_posix()}: {scope} imports {module}")
    _check("reasons", silent, "imports inside functions with no reason (a comment on its line or above)")
