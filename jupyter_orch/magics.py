"""IPython magics: `%%flow` runs a cell as a tracked flow run (and can deploy it), `%orch` manages
deployments and shows live run views. Loaded by `%load_ext jupyter_orch`.

Finding the current notebook's cells from inside the kernel (for `%%flow ... --deploy`):

1. When the notebook file is known — `JPY_SESSION_NAME` (set by Jupyter Server >= 2 for the
   kernel of a notebook session) or `__vsc_ipynb_file__` (VS Code) — the *saved* file gives the
   cell order and tags (the `parameters` cell), and the current cell is the saved cell whose
   source equals it. The file must therefore be saved with the cell in it.
2. Otherwise (or when the current cell is not in the saved file, e.g. unsaved edits) the
   kernel's raw input history (`In`, as typed) is the notebook: each distinct cell once, in the
   order of its latest execution, ending with the current cell. There are no tags in history,
   so the `parameters` cell is the latest executed cell whose first line is a `# parameters`
   comment; when the saved file is readable its tagged `parameters` cell is used instead.
"""

from __future__ import annotations

import argparse
import ast
import linecache
import os
import shlex
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from jupyter_orch.cli.spec import param, schedule
from jupyter_orch.client import ApiError, new_client
from jupyter_orch.parameters import ParameterError, find_parameters_cell

__all__ = ["OrchMagics", "current_notebook", "load_ipython_extension", "unload_ipython_extension"]


class _Parser(argparse.ArgumentParser):
    """argparse that raises IPython's UsageError (one red line) instead of exiting the kernel."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> Any:
        if message:
            print(message)
        raise UsageError("") if status else _HelpShown()


class _HelpShown(Exception):
    pass


def _schedule_args(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--cron", help="cron expression of the schedule")
    when.add_argument("--interval", type=float, help="seconds between runs")
    parser.add_argument("--timezone", help="IANA time zone of the schedule")
    parser.add_argument("--param", action="append", type=param, default=[], metavar="KEY=VALUE")
    parser.add_argument("--pool", help="work pool (default: 'default')")


def _flow_parser() -> _Parser:
    p = _Parser(prog="%%flow", description="Run this cell as a tracked flow run.", add_help=True)
    p.add_argument("name", help="flow name")
    p.add_argument("--retries", type=int, default=0)
    p.add_argument("--retry-delay", type=float, default=0, help="seconds between retries")
    p.add_argument("--timeout", type=float, help="fail the run after this many seconds")
    p.add_argument("--log-prints", action="store_true", help="capture print() into the run's logs")
    p.add_argument("--deploy", action="store_true", help="also deploy the cell (with what it needs)")
    p.add_argument("--deployment-name", default="default", help="name of the deployment (with --deploy)")
    _schedule_args(p)
    return p


def _orch_parser() -> _Parser:
    p = _Parser(prog="%orch", description="Deployments and live views of flow runs.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    deploy = sub.add_parser("deploy", help="deploy a notebook (default: this one)")
    deploy.add_argument("notebook", nargs="?", help="notebook path (default: the current notebook)")
    deploy.add_argument("--name", required=True, help="deployment name")
    deploy.add_argument("--live", action="store_true", help="read the notebook at run time, no snapshot")
    _schedule_args(deploy)
    runs = sub.add_parser("runs", help="show recent flow runs, live")
    runs.add_argument("--limit", type=int, default=10)
    runs.add_argument("--flow", help="only runs of this flow")
    runs.add_argument("--deployment", help="only runs of this deployment (flow/name)")
    run = sub.add_parser("run", help="run a deployment and show its progress, live")
    run.add_argument("deployment", help="flow-name/deployment-name")
    run.add_argument("--param", action="append", type=param, default=[], metavar="KEY=VALUE")
    run.add_argument("--wait", action="store_true", help="block until the run ends")
    run.add_argument("--timeout", type=float, help="with --wait: stop waiting after this many seconds")
    return p


def _parse(parser: _Parser, line: str) -> argparse.Namespace | None:
    try:
        return parser.parse_args(shlex.split(line))
    except _HelpShown:
        return None
    except ValueError as exc:  # unbalanced quotes
        raise UsageError(f"{parser.prog}: {exc}") from exc


# -- the current notebook ------------------------------------------------------------------------
def notebook_path(shell: Any) -> str | None:
    """The current notebook's file, when the frontend tells the kernel (see module docstring)."""
    for candidate in (os.environ.get("JPY_SESSION_NAME"), shell.user_ns.get("__vsc_ipynb_file__")):
        if candidate and str(candidate).endswith(".ipynb") and os.path.isfile(candidate):
            return os.path.abspath(candidate)
    return None


def _norm(source: Any) -> str:
    return ("".join(source) if isinstance(source, list) else str(source)).strip()


def _history_notebook(shell: Any, current: str, params_cell: Any = None) -> tuple[Any, int]:
    # heavy: nbformat, only for a notebook from the history
    import nbformat

    raw = list(getattr(shell.history_manager, "input_hist_raw", None) or shell.user_ns.get("In", []))
    latest: dict[str, int] = {}
    for i, src in enumerate(raw):
        text = _norm(src)
        if text and text != _norm(current):
            latest[text] = i
    sources = [s for s, _ in sorted(latest.items(), key=lambda kv: kv[1])]
    cells = []
    tagged = params_cell is not None
    if tagged:
        cells.append(nbformat.v4.new_code_cell(_norm(params_cell.source), metadata={"tags": ["parameters"]}))
    marked = None
    if not tagged:
        marked = next((s for s in reversed(sources) if s.lower().startswith("# parameters")), None)
    for src in sources:
        meta = {"tags": ["parameters"]} if src == marked else {}
        cells.append(nbformat.v4.new_code_cell(src, metadata=meta))
    cells.append(nbformat.v4.new_code_cell(_norm(current)))
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": spec}), len(cells) - 1


def current_notebook(shell: Any, current: str) -> tuple[Any, int, str | None, str]:
    """(notebook, index of the current cell, notebook file or None, which rule was used)."""
    # heavy: nbformat, only to deploy (not with the extension in every kernel)
    from jupyter_orch.notebooks.snapshot import read_notebook

    path = notebook_path(shell)
    if path:
        nb = read_notebook(path)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and _norm(cell.source) == _norm(current):
                return nb, index, path, f"saved notebook {Path(path).name}"
        params = find_parameters_cell(nb)
        cell = nb.cells[params] if params is not None else None
        nb, index = _history_notebook(shell, current, cell)
        return nb, index, path, "kernel history (this cell is not in the saved notebook)"
    nb, index = _history_notebook(shell, current)
    return nb, index, None, "kernel history"


# -- %%flow --------------------------------------------------------------------------------------
def _compile_cell(shell: Any, body: str, name: str) -> tuple[Any, Any]:
    """(statements, last expression or None) of a cell body, magics translated by IPython."""
    code = shell.transform_cell(body)
    filename = f"<%%flow {name}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    tree = ast.parse(code, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), filename, "eval")
    return compile(tree, filename, "exec"), last


def run_cell_as_flow(shell: Any, body: str, args: argparse.Namespace) -> Any:
    """Run `body` in the user namespace as flow `args.name`; its last expression's value, or
    the cell's exception (after the run is recorded Failed)."""
    # heavy: the engine loads on the first %%flow, not with the extension in every kernel
    from jupyter_orch.engine.flows import Flow

    __tracebackhide__ = True  # IPython hides this frame from the user's traceback
    statements, last = _compile_cell(shell, body, args.name)
    ns = shell.user_ns

    def cell() -> Any:
        exec(statements, ns)
        return eval(last, ns) if last is not None else None

    cell.__name__ = cell.__qualname__ = args.name
    flow = Flow(
        cell,
        name=args.name,
        retries=args.retries,
        retry_delay_seconds=args.retry_delay,
        timeout_seconds=args.timeout,
        log_prints=args.log_prints,
        description=f"%%flow cell {args.name}",
    )
    state = flow(return_state=True)
    shell.user_ns["_flow_state"] = state
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, BaseException):
        raise _from_cell(outcome) from None  # the user's traceback, not the engine's frames
    return outcome


def _from_cell(exc: BaseException) -> BaseException:
    """`exc` with its traceback starting at the cell's own code (when it passed through it)."""
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<%%flow"):
        tb = tb.tb_next
    return exc.with_traceback(tb) if tb is not None else exc


def deploy_cell_from_shell(shell: Any, line: str, body: str, args: argparse.Namespace) -> dict[str, Any]:
    """Build the cell's notebook (parameters cell + needed cells + this one), show it, deploy it."""
    # heavy: nbformat and the runner, only to deploy (not with the extension in every kernel)
    from jupyter_orch.notebooks.dependencies import build_cell_notebook
    from jupyter_orch.runner.notebooks import deploy_cell

    current = f"%%flow {line}\n{body}"
    nb, index, path, rule = current_notebook(shell, current)
    cell_nb = build_cell_notebook(nb, index)
    taken = cell_nb.metadata["jupyter_orch"]["source_cells"]
    dep = deploy_cell(
        cell_nb,
        flow_name=args.name,
        name=args.deployment_name,
        source=path,
        timeout_seconds=args.timeout,
        retries=args.retries,
        **schedule(args),
    )
    lines = [f"Deployed {dep['flow_name']}/{dep['name']} from {rule}; it runs these cells:"]
    for i in taken:
        first = _norm(nb.cells[i].source).splitlines()[0] if _norm(nb.cells[i].source) else ""
        tag = " [parameters]" if "parameters" in nb.cells[i].metadata.get("tags", []) else ""
        lines.append(f"  cell {i + 1}{tag}: {first[:70]}")
    lines.append(f"  cell {index + 1} (this cell)")
    print("\n".join(lines))
    return dep


@magics_class
class OrchMagics(Magics):
    @cell_magic
    def flow(self, line: str, cell: str) -> Any:
        """%%flow NAME [--retries N] [--timeout S] [--log-prints] [--deploy [--cron EXPR |
        --interval S] [--timezone TZ] [--param k=v ...]]: run the cell as a tracked flow run."""
        __tracebackhide__ = True
        args = _parse(_flow_parser(), line)
        if args is None:
            return None
        if args.deploy:
            try:
                deploy_cell_from_shell(self.shell, line, cell, args)
            except ParameterError as exc:
                raise UsageError(f"%%flow --deploy: {exc}") from exc
        return run_cell_as_flow(self.shell, cell, args)

    @line_magic
    def orch(self, line: str) -> Any:
        """%orch deploy [NOTEBOOK] --name N [--cron EXPR | --interval S] [--live] |
        %orch runs [--limit N] | %orch run DEPLOYMENT [--param k=v ...] [--wait]"""
        args = _parse(_orch_parser(), line)
        if args is None:
            return None
        try:
            return getattr(self, f"_orch_{args.command}")(args)
        except (ParameterError, FileNotFoundError) as exc:
            raise UsageError(f"%orch {args.command}: {exc}") from exc

    def _orch_deploy(self, args: argparse.Namespace) -> None:
        # heavy: nbformat and the runner, only to deploy (not with the extension in every kernel)
        from jupyter_orch.runner.notebooks import deploy_notebook

        path = args.notebook or notebook_path(self.shell)
        if not path:
            raise UsageError("%orch deploy: name the notebook (this kernel does not know its file)")
        dep = deploy_notebook(path, name=args.name, live=args.live, **schedule(args))
        how = (
            "reads the notebook at run time"
            if args.live
            else f"runs a snapshot: {dep['storage']['notebook']}"
        )
        print(f"Deployed {dep['flow_name']}/{dep['name']} ({how}).")

    def _orch_runs(self, args: argparse.Namespace) -> None:
        # heavy: ipywidgets, only when a view is shown
        from jupyter_orch.widgets import RunsView

        filters: dict[str, Any] = {"flow_name": args.flow}
        if args.deployment:
            filters["deployment_id"] = _deployment(args.deployment)["id"]
        view = RunsView(limit=args.limit, **filters)
        view.fetch()
        view.show()

    def _orch_run(self, args: argparse.Namespace) -> None:
        # heavy: ipywidgets, only when a view is shown
        from jupyter_orch.widgets import RunView

        dep = _deployment(args.deployment)
        view = RunView(
            _api_call("post", f"deployments/{dep['id']}/create_flow_run", {"parameters": dict(args.param)})
        )
        view.show()
        if args.wait:
            view.wait(args.timeout)


def _api_call(method: str, path: str, *body: Any) -> Any:
    client = new_client()  # the environment as it is now: the notebook may have changed it
    try:
        return getattr(client, method)(path, *body)
    except ApiError as exc:
        raise UsageError(exc.message) from exc
    finally:
        client.close()


def _deployment(name: str) -> dict[str, Any]:
    if "/" not in name:
        raise UsageError(f"invalid deployment {name!r}; name it flow-name/deployment-name")
    flow, dep = name.split("/", 1)
    return _api_call("get", f"deployments/name/{flow}/{dep}")


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(OrchMagics)


def unload_ipython_extension(ipython: Any) -> None:
    magics = ipython.magics_manager.magics
    for kind, name in (("cell", "flow"), ("line", "orch")):
        magics[kind].pop(name, None)
