"""`jupyter orch flow-run ls|inspect|logs|cancel`."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import datetime, timezone
from typing import Any

from jupyter_orch.cli.app import Context, UsageError, add_group, json_object_arg
from jupyter_orch.cli.spec import JSON, SAME, add_commands, arg, bounded, listing, print_fields, show
from jupyter_orch.client.events import EventWatcher
from jupyter_orch.states import TERMINAL_STATES, StateType
from jupyter_orch.timefmt import duration, parse_time, short_time

STATE_TYPES = [t.value for t in StateType]
FINAL = {t.value for t in TERMINAL_STATES}


def _state_type(value: str) -> str:
    if value.upper() not in STATE_TYPES:
        raise argparse.ArgumentTypeError(f"invalid state {value!r}; choose from {', '.join(STATE_TYPES)}")
    return value.upper()


def _run_filter(args: argparse.Namespace) -> dict[str, Any]:
    return {"flow_name": args.flow, "state_type": args.state, "tags": args.tag, "limit": args.limit}


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


def _run_row(r: dict[str, Any]) -> tuple[Any, ...]:
    start = short_time(r.get("start_time") or r.get("expected_start_time"))
    return r["id"][:8], r["name"], r["flow_name"], r["state_name"], start, duration(run_duration(r))


def _print_run(ctx: Context, run: dict[str, Any]) -> None:
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
    print_fields(ctx, fields)


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


RUN_ID = arg("id", help="flow run id")
RESUME = "Resume a paused or suspended flow run, with the input it waits for as JSON."
STATES = f"only runs in this state type (repeatable): {', '.join(STATE_TYPES)}"
# fmt: off
COMMANDS = (
    ("ls", "List flow runs, newest first.", SAME,
     listing("flow_runs", ("id", "name", "flow", "state", "start", "duration"), _run_row, _run_filter,
             empty="No flow runs."),
     arg("--flow", help="only runs of this flow (name)"),
     arg("--state", action="append", type=_state_type, metavar="TYPE", help=STATES),
     arg("--tag", action="append", metavar="TAG", help="only runs carrying this tag (repeatable)"),
     arg("--limit", type=bounded(int, "limit", 1, 500), default=20, help="how many runs (1-500, default 20)"),
     JSON),
    ("inspect", "Show one flow run.", SAME, show("flow_runs/{id}", _print_run), RUN_ID, JSON),
    ("logs", "Print a flow run's logs.", SAME, print_logs, RUN_ID,
     arg("--follow", "-f", action="store_true", help="keep printing new logs until the run ends"),
     arg("--interval", type=float, default=2.0, help=argparse.SUPPRESS),
     arg("--json", action="store_true", help="print JSON (one record per line)")),
    ("cancel", "Cancel a flow run.", SAME, cancel_run, RUN_ID),
    ("resume", "Resume a paused or suspended flow run.", RESUME, resume_run, RUN_ID,
     arg("--input", type=json_object_arg("--input"), help="the run input, e.g. '{\"approved\": true}'")),
)
# fmt: on


def register(subparsers: Any) -> None:
    add_commands(add_group(subparsers, "flow-run", "Inspect and control flow runs."), COMMANDS)
