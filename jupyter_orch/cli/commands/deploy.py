"""`jupyter orch deploy PATH[:FLOW]`: deploy a flow from a .py file, or a notebook.

A notebook's `parameters` cell becomes the deployment's parameter schema and the notebook is
snapshotted (`--live` reads it at run time instead); a .py file names its flow function after
the colon (or holds exactly one flow).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from typing import Any

from jupyter_orch.cli.app import Context, UsageError
from jupyter_orch.cli.output import print_json
from jupyter_orch.cli.spec import SAME, add_commands, arg, one_of, param, schedule
from jupyter_orch.client import new_client
from jupyter_orch.orchestration.errors import OrchError
from jupyter_orch.parameters import ParameterError


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return number


def deploy(args: argparse.Namespace, ctx: Context) -> int:
    path, _, flow_name = args.path.partition(":")
    if path.endswith(".py") and ":" not in args.path and os.path.isfile(path):
        flow_name = ""
    try:
        if path.endswith(".ipynb"):
            if flow_name:
                raise UsageError(
                    "a notebook is deployed whole: drop ':FLOW' (use %%flow --deploy for a cell)"
                )
            dep = _deploy_notebook(path, args)
        elif path.endswith(".py"):
            if args.live or args.timeout:
                raise UsageError("--live and --timeout apply to notebooks only")
            dep = _deploy_python(path, flow_name, args)
        else:
            raise UsageError(f"invalid PATH {args.path!r}: expected file.py[:flow] or notebook.ipynb")
    except (FileNotFoundError, ParameterError, SyntaxError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    except OrchError as exc:
        raise UsageError(exc.message) from exc
    if args.json:
        print_json(ctx, dep)
        return 0
    where = (dep.get("storage") or {}).get("notebook")
    how = ""
    if dep.get("kind") == "notebook":
        how = " (reads the notebook at run time)" if args.live else f" (snapshot: {where})"
    ctx.print(f"Deployed {dep['flow_name']}/{dep['name']}{how}.")
    return 0


def _deploy_notebook(path: str, args: argparse.Namespace) -> dict[str, Any]:
    # heavy: nbformat, only to deploy a notebook
    from jupyter_orch.runner.notebooks import deploy_notebook

    return deploy_notebook(
        path, name=args.name, live=args.live, timeout_seconds=args.timeout, **schedule(args)
    )


def _deploy_python(path: str, flow_name: str, args: argparse.Namespace) -> dict[str, Any]:
    # heavy: the engine and the runner (services, SQLAlchemy), only to deploy from code
    from jupyter_orch.engine.flows import Flow
    from jupyter_orch.runner import to_deployment

    module = _load_module(path)
    if flow_name:
        fn = getattr(module, flow_name, None)
        if not callable(fn):
            raise ValueError(f"{path} has no flow function {flow_name!r}")
    else:
        flows = [v for v in vars(module).values() if isinstance(v, Flow)]
        if len(flows) != 1:
            raise ValueError(f"{path} defines {len(flows)} flows; name one: {path}:FLOW")
        fn = flows[0]
    dep = to_deployment(fn, args.name, **schedule(args))
    return new_client().create_deployment(dep.payload())


def _load_module(path: str) -> Any:
    """Import a .py file the way the worker will (its folder on sys.path)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no file {path}")
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    name = f"__jupyter_orch_{os.path.splitext(os.path.basename(path))[0]}"
    spec = importlib.util.spec_from_file_location(name, os.path.abspath(path))
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


TEXT = "Deploy a flow from a .py file, or a notebook."
# fmt: off
COMMANDS = (
    ("deploy", TEXT, SAME, deploy,
     arg("path", metavar="PATH[:FLOW]", help="flows.py:my_flow, or notebook.ipynb"),
     arg("--name", required=True, help="deployment name"),
     one_of(arg("--cron", help="cron expression, e.g. '0 6 * * *'"),
            arg("--interval", type=_positive, help="seconds between runs")),
     arg("--timezone", help="IANA time zone of the schedule (default UTC)"),
     arg("--param", action="append", type=param, default=[], metavar="KEY=VALUE",
         help="default parameter (VALUE is JSON, else a string); repeatable"),
     arg("--pool", help="work pool (default: 'default')"),
     arg("--live", action="store_true", help="notebooks: read the file at run time (no snapshot)"),
     arg("--timeout", type=_positive, help="notebooks: fail a run after this many seconds"),
     arg("--json", action="store_true", help="print the deployment as JSON")),
)
# fmt: on


def register(subparsers: Any) -> None:
    add_commands(subparsers, COMMANDS)
