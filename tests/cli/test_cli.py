"""The CLI in both modes: against the database (LocalTransport) and a live server (HTTP)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_orch.cli.app import main
from jupyter_orch.client import new_client
from jupyter_orch.db.migrate import HEAD_REVISION
from jupyter_orch.server.process import ServerProcess


def make_run(
    cli, flow: str = "cli-flow", state: str = "COMPLETED", tags: tuple[str, ...] = ("nightly",)
) -> str:
    """A finished run with a log line, written through the same client the CLI uses."""
    t = new_client()
    try:
        run = t.post("flow_runs", {"flow_name": flow, "tags": list(tags)})
        t.post(f"flow_runs/{run['id']}/set_state", {"state": {"type": "RUNNING"}})
        t.post("logs", [{"flow_run_id": run["id"], "message": "hello from the run", "level": 20}])
        if state != "RUNNING":
            t.post(f"flow_runs/{run['id']}/set_state", {"state": {"type": state}})
    finally:
        t.close()
    return run["id"]


def test_flow_run_ls_inspect_logs_cancel(cli):
    done = make_run(cli, flow=f"ls-{cli.mode}")
    running = make_run(cli, flow=f"ls-{cli.mode}", state="RUNNING", tags=("adhoc",))

    out = cli("flow-run", "ls", "--flow", f"ls-{cli.mode}")
    assert out.returncode == 0, out.stderr
    header, *rows = out.stdout.strip().splitlines()
    assert header.split() == ["ID", "NAME", "FLOW", "STATE", "START", "DURATION"]
    assert len(rows) == 2 and {"Completed", "Running"} <= set(" ".join(rows).split())

    out = cli("flow-run", "ls", "--flow", f"ls-{cli.mode}", "--state", "running", "--json")
    assert [r["id"] for r in json.loads(out.stdout)] == [running]
    out = cli("flow-run", "ls", "--flow", f"ls-{cli.mode}", "--tag", "nightly", "--limit", "5", "--json")
    assert [r["id"] for r in json.loads(out.stdout)] == [done]

    out = cli("flow-run", "inspect", done, "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["state_type"] == "COMPLETED"
    out = cli("flow-run", "inspect", done)
    assert "Completed (COMPLETED)" in out.stdout and done in out.stdout

    out = cli("flow-run", "logs", done)
    assert out.returncode == 0 and "hello from the run" in out.stdout
    out = cli("flow-run", "logs", done, "--follow")  # a finished run: prints and returns
    assert out.returncode == 0 and "hello from the run" in out.stdout

    out = cli("flow-run", "cancel", running)
    assert out.returncode == 0 and "Cancelling" in out.stdout
    out = cli("flow-run", "cancel", done)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "not cancelled" in out.stderr


def test_logs_follow_until_the_run_ends(cli):
    run_id = make_run(cli, flow=f"follow-{cli.mode}", state="RUNNING")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_orch.cli",
            "flow-run",
            "logs",
            run_id,
            "--follow",
            "--interval",
            "0.2",
        ],
        env=cli.env,
        text=True,
        stdout=subprocess.PIPE,
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(2)  # still following a running run
        t = new_client()
        t.post("logs", [{"flow_run_id": run_id, "message": "the last line"}])
        t.post(f"flow_runs/{run_id}/set_state", {"state": {"type": "COMPLETED"}})
        t.close()
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert out.index("hello from the run") < out.index("the last line")


def test_logs_follow_wakes_on_the_event_stream(cli):
    """With a fallback interval of ten minutes, only the live event stream can end the follow."""
    run_id = make_run(cli, flow=f"follow-live-{cli.mode}", state="RUNNING")
    cmd = [
        sys.executable,
        "-m",
        "jupyter_orch.cli",
        "flow-run",
        "logs",
        run_id,
        "--follow",
        "--interval",
        "600",
    ]
    proc = subprocess.Popen(cmd, env=cli.env, text=True, stdout=subprocess.PIPE)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(3)  # following, and connected to the stream by now
        t = new_client()
        t.post("logs", [{"flow_run_id": run_id, "message": "pushed, not polled"}])
        t.post(f"flow_runs/{run_id}/set_state", {"state": {"type": "COMPLETED"}})
        t.close()
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "pushed, not polled" in out


def test_unknown_run_is_one_line_exit_1(cli):
    out = cli("flow-run", "inspect", "00000000-0000-0000-0000-000000000000")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "jupyter orch: error: no flow run with id 00000000-0000-0000-0000-000000000000"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("nope",),
        ("flow-run",),
        ("flow-run", "ls", "--limit", "x"),
        ("flow-run", "ls", "--limit", "0"),
        ("flow-run", "ls", "--state", "DONE"),
        ("flow-run", "inspect"),
        ("flow-run", "logs", "a", "--bogus"),
        ("server", "--port", "70000"),
        ("database", "drop"),
        ("config", "show", "extra"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(cli, args):
    out = cli(*args)
    assert out.returncode == 2, out
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jupyter orch") and "error:" in lines[0], out.stderr


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("server",),
        ("flow-run",),
        ("flow-run", "ls"),
        ("flow-run", "inspect"),
        ("flow-run", "logs"),
        ("flow-run", "cancel"),
        ("database",),
        ("database", "upgrade"),
        ("database", "reset"),
        ("config", "show"),
    ],
)
def test_every_command_has_help(args, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit:
        main([*args, "--help"])
    assert exit.value.code == 0
    assert capsys.readouterr().out.startswith("usage: jupyter orch")


def test_entry_point_runs_as_jupyter_subcommand():
    """`jupyter orch` finds the installed `jupyter-orch` script."""
    out = subprocess.run(["jupyter", "orch", "--help"], text=True, capture_output=True, timeout=120)
    assert out.returncode == 0 and "flow-run" in out.stdout, out.stderr


def test_config_show(cli):
    out = cli("config", "show", "--json")
    values = json.loads(out.stdout)
    assert values["mode"] == ("server" if cli.mode == "http" else "database")
    if cli.mode == "http":
        assert values["JUPYTER_ORCH_API_TOKEN"] == "********"
    out = cli("config", "show")
    assert out.returncode == 0 and "JUPYTER_ORCH_DATABASE_URL" in out.stdout


def test_database_upgrade_and_reset(cli):
    if cli.mode == "http":
        pytest.skip("database commands act on the database directly; one mode covers them")
    make_run(cli)
    out = cli("database", "upgrade")
    assert out.returncode == 0 and HEAD_REVISION in out.stdout
    out = cli("database", "reset", input="n\n")
    assert out.returncode == 1 and "Aborted" in out.stdout
    assert json.loads(cli("flow-run", "ls", "--json").stdout) != []
    out = cli("database", "reset", "--yes")
    assert out.returncode == 0
    assert json.loads(cli("flow-run", "ls", "--json").stdout) == []


def test_server_command_prints_connection_lines(tmp_path: Path):
    home = tmp_path / "srv"
    server = ServerProcess(f"sqlite:///{home / 'orch.db'}", home, token="printed-token").start()
    try:
        text = server.log_text()
    finally:
        server.stop()
    assert f"export JUPYTER_ORCH_API_URL={server.url} JUPYTER_ORCH_API_TOKEN=printed-token" in text
    assert f"{server.url}/orch/api" in text


def test_server_logger_skips_only_records_no_handler_prints():
    from jupyter_orch.cli.commands.server import skip_unprinted_records

    def logger(name: str, *handler_levels: int) -> logging.Logger:
        log = logging.getLogger(f"orch-test-{name}")
        log.propagate = False
        log.setLevel(logging.DEBUG)  # as traitlets leaves it
        for level in handler_levels:
            handler = logging.StreamHandler(io.StringIO())
            handler.setLevel(level)
            log.addHandler(handler)
        return log

    info = logger("info", logging.INFO, logging.WARNING)
    skip_unprinted_records(info)
    assert info.level == logging.INFO and not info.isEnabledFor(logging.DEBUG)
    chatty = (logger("debug", logging.INFO, logging.DEBUG), logger("notset", logging.NOTSET), logger("none"))
    for log in chatty:
        skip_unprinted_records(log)
        assert log.level == logging.DEBUG  # something would print a debug record, or nothing is known


def test_headless_server_prints_its_access_log_only_at_debug(tmp_path: Path):
    import httpx

    home = tmp_path / "srv"
    quiet = ServerProcess(f"sqlite:///{home / 'orch.db'}", home / "quiet").start()
    loud = ServerProcess(
        f"sqlite:///{home / 'orch.db'}",
        home / "loud",
        env={"JUPYTER_CONFIG_DIR": str(_debug_config(tmp_path))},
    ).start()
    try:
        for server in (quiet, loud):
            assert httpx.get(f"{server.url}/orch/api/flows", headers=server.headers).status_code == 200
    finally:
        quiet.stop()
        loud.stop()
    assert "GET /orch/api/flows" not in quiet.log_text()
    assert "GET /orch/api/flows" in loud.log_text()  # configured DEBUG still prints debug records


def _debug_config(tmp_path: Path) -> Path:
    config = tmp_path / "jupyter-config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {"log_level": "DEBUG"}}))
    return config
