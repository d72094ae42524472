"""The CLI framework: argparse with one-line errors, command modules registering subcommands.

Each module in `COMMAND_MODULES` (under `jupyter_orch.cli.commands`) has
`register(subparsers: argparse._SubParsersAction) -> None` adding its command(s); a command sets
`func=handler` with `handler(args, ctx: Context) -> int | None`. Handlers reach the API through
`ctx.client` (HTTP when JUPYTER_ORCH_API_URL is set, the database otherwise), so every command
works both ways with the same code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from functools import cached_property
from importlib import import_module
from typing import Any, NoReturn

from jupyter_orch.client import ApiError, OrchClient, new_client

#: Command modules under jupyter_orch.cli.commands, in the order `--help` lists them.
COMMAND_MODULES = (
    "server",
    "deploy",
    "flow_run",
    "deployment",
    "work_pool",
    "notification",
    "variable",
    "secret",
    "storage",
    "database",
    "config",
)

PROG = "jupyter orch"


class UsageError(Exception):
    """A bad argument found after parsing (e.g. a malformed --param); exit code 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line on stderr and exits with code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class Context:
    """What a command handler needs: the client (created on first use) and output streams."""

    def __init__(self, stdout: Any = None, stderr: Any = None) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    @cached_property
    def client(self) -> OrchClient:
        return new_client()

    def print(self, *values: Any) -> None:
        print(*values, file=self.stdout, flush=True)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()


def json_object_arg(flag: str) -> Any:
    """An argparse `type` reading a JSON object, its errors naming `flag`."""

    def parse(value: str) -> dict[str, Any]:
        import json  # argparse types run once per argument; json is already loaded anyway

        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"invalid {flag} {value!r}: {exc}") from None
        if not isinstance(parsed, dict):
            raise argparse.ArgumentTypeError(f"invalid {flag} {value!r}: expected a JSON object")
        return parsed

    return parse


def add_group(subparsers: Any, name: str, help: str) -> Any:
    """A command with its own subcommands (`flow-run ls`): returns their subparsers action."""
    parser = subparsers.add_parser(name, help=help, description=help)
    sub = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True
    return sub


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog=PROG, description="Workflow orchestration inside Jupyter.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True
    for name in COMMAND_MODULES:
        import_module(f"jupyter_orch.cli.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None, ctx: Context | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "pass_through", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra_argv = extra  # `server`: Jupyter's own options (--ServerApp.*, --certfile=...)
    ctx = ctx or Context()
    try:
        return int(args.func(args, ctx) or 0)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=ctx.stderr)
        return 2
    except ApiError as exc:
        print(f"{PROG}: error: {exc.message}", file=ctx.stderr)
        return 2 if exc.status in (400, 422) else 1
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()
