"""Commands as data: a command module lists its subcommands as rows and `add_commands` builds
their parsers; the handlers most subcommands are made of (list, show, one request, print a
record or its JSON) come from a path and a format here, so a module writes only what is its own.

A row is `(name, help, description, handler, *arguments)`: `description` is `SAME` for the help
text again, or None for none; each argument is an `arg(...)` (`add_argument`'s own words) or a
`one_of(arg(...), ...)` (a mutually exclusive group).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from jupyter_orch.cli.app import Context
from jupyter_orch.cli.output import print_json, table

Handler = Callable[[argparse.Namespace, Context], int]
Arg = tuple[tuple[str, ...], dict[str, Any]]
#: a request path: a format of the arguments (`"work_pools/{name}"`) or a function of them
Path = str | Callable[[argparse.Namespace, Context], str]

#: a row's description that is its help text again
SAME = "<help>"


def arg(*flags: str, **options: Any) -> Arg:
    return flags, options


def one_of(*args: Arg) -> Arg:
    """Arguments of which a command takes at most one (a mutually exclusive group)."""
    return (), {"one_of": args}


JSON = arg("--json", action="store_true", help="print JSON")
PREFIX = arg("--prefix", help="only names starting with this")


def add_commands(subparsers: Any, rows: Iterable[Sequence[Any]]) -> None:
    for name, text, description, func, *args in rows:
        parser = subparsers.add_parser(
            name, help=text, description=text if description == SAME else description
        )
        for flags, options in args:
            target = parser.add_mutually_exclusive_group() if not flags else parser
            for each_flags, each in options["one_of"] if not flags else [(flags, options)]:
                target.add_argument(*each_flags, **each)
        parser.set_defaults(func=func)


def _where(path: Path, args: argparse.Namespace, ctx: Context) -> str:
    return path(args, ctx) if callable(path) else path.format(**vars(args))


def reply(ctx: Context, args: argparse.Namespace, value: Any, text: str) -> int:
    """`value` as JSON with --json, else `text`."""
    if args.json:
        print_json(ctx, value)
    else:
        ctx.print(text)
    return 0


def request(method: str, path: Path, done: str) -> Handler:
    """A command sending one request without a body, then printing `done` (a format of the arguments)."""

    def handler(args: argparse.Namespace, ctx: Context) -> int:
        getattr(ctx.client, method)(_where(path, args, ctx))
        ctx.print(done.format(**vars(args)))
        return 0

    return handler


def show(path: Path, printer: Callable[[Context, Any], None]) -> Handler:
    """A command reading one record: its JSON with --json, else what `printer` prints of it."""

    def handler(args: argparse.Namespace, ctx: Context) -> int:
        value = ctx.client.get(_where(path, args, ctx))
        if args.json:
            print_json(ctx, value)
        else:
            printer(ctx, value)
        return 0

    return handler


def listing(
    path: str,
    headers: Sequence[str],
    row: Callable[[Any], Sequence[Any]],
    query: Callable[[argparse.Namespace], dict[str, Any]] | None = None,
    empty: str | None = None,
) -> Handler:
    """A command listing a page of items: their JSON with --json, else a table (or `empty`)."""

    def handler(args: argparse.Namespace, ctx: Context) -> int:
        items = ctx.client.get(path, **(query(args) if query else {}))["items"]
        if args.json:
            print_json(ctx, items)
        elif empty is not None and not items:
            ctx.print(empty)
        else:
            ctx.print(table(headers, [row(item) for item in items]))
        return 0

    return handler


def print_fields(
    ctx: Context, fields: Iterable[tuple[str, Any]], width: int | None = None, sep: str = "  "
) -> None:
    """One `key  value` line a field, the keys padded to `width` (default: the longest)."""
    fields = list(fields)
    width = max(len(key) for key, _ in fields) if width is None else width
    for key, value in fields:
        ctx.print(f"{key.ljust(width)}{sep}{value}")


def param(value: str) -> tuple[str, Any]:
    """`--param KEY=VALUE` (argparse type): VALUE as JSON when it parses, else the text."""
    key, sep, raw = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"invalid --param {value!r}; expected KEY=VALUE")
    return key, json_or_text(raw)


def json_or_text(value: str) -> Any:
    """A JSON value when it parses as one (`5`, `true`, `{"a": 1}`), else the text itself."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def schedule(args: argparse.Namespace) -> dict[str, Any]:
    """The schedule and defaults a deploy command's arguments give (`--cron`/`--interval`,
    `--timezone`, `--param`, `--pool`), as keyword arguments of the runner's deploy functions."""
    return {
        "cron": args.cron,
        "interval": args.interval,
        "timezone": args.timezone,
        "parameters": dict(args.param),
        "work_pool_name": args.pool,
    }


def bounded(kind: type[int] | type[float], what: str, low: float, high: float | None = None) -> Any:
    """An argparse type: an int or float from `low` to `high` (no limit when None), its errors
    naming `what` (`invalid limit 'x'; expected a whole number`, `invalid limit 900; expected 1-500`)."""
    expected = "a whole number" if kind is int else "a number"
    span = f"{low} or more" if high is None else f"{low}-{high}"

    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what} {value!r}; expected {expected}") from None
        if number < low or (high is not None and number > high):
            raise argparse.ArgumentTypeError(f"invalid {what} {number}; expected {span}")
        return number

    return parse
