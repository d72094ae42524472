"""`jupyter orch flow-run ls|inspect|logs|cancel`."""

from __future__ import annotations

import argparse
import logging
from datetime import datetime, timezone
from typing import Any

from jupyter_orch.cli.app import Context, UsageError, add_group, json_object_arg
from jupyter_orch.cli.output import print_json, table
from jupyter_orch.client.events import EventWatcher
from jupyter_orch.states import TERMINAL_STATES, StateType
from jupyter_orch.timefmt import duration, parse_time, short_time

STATE_TYPES = [t.value for t in StateType]
FINAL = {t.value for t in TERMINAL_STATES}


def register(subparsers: Any) -> None:
    sub = add_group(subparsers, "flow-run", "Inspect and control flow runs.")

    ls = sub.add_parser(
        "ls", help="List flow runs, newest first.", description="List flow runs, newest first."
    )
    ls.add_argument("--flow", help="only runs of this flow (name)")
    ls.add_argument(
        "--state",
        action="append",
        type=_state_type,
        metavar="TYPE",
        help=f"only runs in this state type (repeatable): {', '.join(STATE_TYPES)}",
    )
    ls.add_argument("--tag", action="append", metavar="TAG", help="only runs carrying this tag (repeatable)")
    ls.add_argument("--limit", type=_limit, default=20, help="how many runs (1-500, default 20)")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=list_runs)

    inspect = sub.add_parser("inspect", help="Show one flow run.", description="Show one flow run.")
    inspect.add_argument("id", help="flow run id")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(func=inspect_run)

    logs = sub.add_parser("logs", help="Print a flow run's logs.", description="Print a flow run's logs.")
    logs.add_argument("id", help="flow run id")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new logs until the run ends")
    logs.add_argument("--interval", type=float, default=2.0, help=argparse.SUPPRESS)
    logs.add_argument("--json", action="store_true", help="print JSON (one record per line)")
    logs.set_defaults(func=print_logs)

    cancel = sub.add_parser("cancel", help="Cancel a flow run.", description="Cancel a flow run.")
    cancel.add_argument("id", help="flow run id")
    cancel.set_defaults(func=cancel_run)

    resume = sub.add_parser(
        "resume",
        help="Resume a paused or suspended flow run.",
        description="Resume a paused or suspended flow run, with the input it waits for as JSON.",
    )
    resume.add_argument("id", help="flow run id")
    resume.add_argument(
        "--input", type=json_object_arg("--input"), help="the run input, e.g. '{\"approved\": true}'"
    )
    resume.set_defaults(func=resume_run)


def _state_type(value: str) -> str:
    if value.upper() not in STATE_TYPES:
        raise argparse.ArgumentTypeError(f"invalid state {value!r}; choose from {', '.join(STATE_TYPES)}")
    return value.upper()


def _limit(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid limit {value!r}; expected a whole number") from None
    if not 1 <= n <= 500:
        raise argparse.ArgumentTypeError(f"invalid limit {n}; expected 1-500")
    return n


def run_duration(run: dict[str, Any]) -> float | None:
    start = parse_time(run.get("start_time"))
    if start is None:
        return None
    end = parse_time(run.get("end_time"))
    if end is None:
        return (
            (datetime.now(timezone.utc) - start).total_seconds()
            if run.get("state_type") == "RUNNING"
            else None
        )
    return (end - start).total_seconds()


def list_runs(args: argparse.Namespace, ctx: Context) -> int:
    page = ctx.client.get(
        "flow_runs", flow_name=args.flow, state_type=args.state, tags=args.tag, limit=args.limit
    )
    runs = page["items"]
    if args.json:
        print_json(ctx, runs)
        return 0
    if not runs:
        ctx.print("No flow runs.")
        return 0
    rows = [
        (
            r["id"][:8],
            r["name"],
            r["flow_name"],
            r["state_name"],
            short_time(r.get("start_time") or r.get("expected_start_time")),
            duration(run_duration(r)),
        )
        for r in runs
    ]
    ctx.print(table(("id", "name", "flow", "state", "start", "duration"), rows))
    return 0


def inspect_run(args: argparse.Namespace, ctx: Context) -> int:
    run = ctx.client.get(f"flow_runs/{args.id}")
    if args.json:
        print_json(ctx, run)
        return 0
    fields = [
        ("id", run["id"]),
        ("name", run["name"]),
        ("flow", run["flow_name"]),
        ("deployment", run.get("deployment_name") or run.get("deployment_id") or ""),
        ("state", f"{run['state_name']} ({run['state_type']})"),
        ("message", run.get("state_message") or ""),
        ("expected start", short_time(run.get("expected_start_time"))),
        ("start", short_time(run.get("start_time"))),
        ("end", short_time(run.get("end_time"))),
        ("duration", duration(run_duration(run))),
        ("run count", run.get("run_count")),
        ("parameters", run.get("parameters")),
        ("tags", ", ".join(run.get("tags") or [])),
        ("work pool", run.get("work_pool_name") or ""),
        ("output", run.get("output_location") or ""),
    ]
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        ctx.print(f"{key.ljust(width)}  {value}")
    return 0


def print_logs(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.get(f"flow_runs/{args.id}")  # 404 for an unknown run, before any waiting
    # --follow wakes on the live event stream; the interval only bounds each wait (a fallback)
    watcher = EventWatcher(kinds=["flow_run", "log"], flow_run_id=args.id) if args.follow else None
    if watcher is not None:
        watcher.ready()  # live before the first read: nothing written after it is missed
    try:
        after: int | None = None
        while True:
            final = args.follow and _is_final(ctx, args.id)  # before the logs: none written after is lost
            while True:
                page = ctx.client.get("logs", flow_run_id=args.id, after_id=after, limit=500)
                for rec in page["items"]:
                    _print_log(ctx, rec, args.json)
                    after = rec["id"]
                if page["next"] is None:
                    break
            if watcher is None or final:
                return 0
            watcher.wait(args.interval)
    finally:
        if watcher is not None:
            watcher.close()


def _is_final(ctx: Context, run_id: str) -> bool:
    return ctx.client.get(f"flow_runs/{run_id}")["state_type"] in FINAL


def _print_log(ctx: Context, rec: dict[str, Any], as_json: bool) -> None:
    if as_json:
        import json

        ctx.print(json.dumps(rec))
        return
    level = logging.getLevelName(rec["level"])
    ctx.print(f"{short_time(rec['timestamp'])} {level:<8} {rec['name']} - {rec['message']}")


def cancel_run(args: argparse.Namespace, ctx: Context) -> int:
    decision = ctx.client.post(f"flow_runs/{args.id}/cancel")
    state = decision.get("state") or {}
    if decision["status"] in ("ACCEPT", "REJECT"):
        ctx.print(f"Flow run {args.id} is now {state.get('name')}.")
        return 0
    raise UsageError(f"flow run {args.id} was not cancelled: {decision.get('reason')}")


def resume_run(args: argparse.Namespace, ctx: Context) -> int:
    decision = ctx.client.post(f"flow_runs/{args.id}/resume", {"run_input": args.input})
    if decision["status"] != "ACCEPT":
        raise UsageError(f"flow run {args.id} was not resumed: {decision.get('reason')}")
    ctx.print(f"Flow run {args.id} is now {(decision.get('state') or {}).get('name')}.")
    return 0
