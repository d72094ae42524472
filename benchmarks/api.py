"""REST throughput: flow runs created/s and state transitions/s, jupyter-orch beside Prefect 3.

Both servers run on SQLite files in a temp dir (or jupyter-orch on PostgreSQL with --postgres URL)
and are driven the same way over their REST APIs by the same plain HTTP/1.1 client (stdlib
http.client, one keep-alive connection per client thread, TCP_NODELAY, cookies kept as any HTTP
client does): 1 and 10 concurrent clients, each phase time-boxed. "database is locked" errors are
counted in responses and server logs.

    python benchmarks/api.py [--seconds 8] [--clients 1 10] [--no-prefect] [--postgres URL]
                             [--baseline DIR [--rounds 3]]

Beside each rate, the server process's CPU time per request (all its threads; steadier than the
rates on a shared machine). `--baseline DIR` measures another jupyter-orch checkout in the same
run, interleaved with ours round by round (see benchmarks/baseline.py), and prints both.

Prefect lives in a throwaway venv (PREFECT_VENV, default /work/prefect-venv): created with
`python -m venv /work/prefect-venv && /work/prefect-venv/bin/pip install prefect==3.8.8 "fastapi<0.150"`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

# the checkout measured: this one, or the baseline's in a --baseline child
sys.path.insert(0, os.environ.get("ORCH_BENCH_REPO") or str(Path(__file__).resolve().parents[1]))

import baseline  # noqa: E402
from http_client import Client, Response  # noqa: E402

from jupyter_orch.server.process import ServerProcess, free_port  # noqa: E402

PREFECT_VENV = Path(os.environ.get("PREFECT_VENV", "/work/prefect-venv"))
LOCKED = "database is locked"
PENDING = {"type": "PENDING"}


@dataclass
class Target:
    """One server under test: how to create a run and how to propose a state over its REST API."""

    name: str
    base_url: str
    headers: dict[str, str]
    create: Callable[[Client], str]
    set_state: Callable[[Client, str, str], bool]
    log_text: Callable[[], str]
    #: the server's process id, for its CPU time (None: not measured)
    pid: int | None = None


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system, all threads and children) of a process and its descendants."""
    if pid is None:
        return 0.0
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return total


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    locked: int = 0
    #: errors by HTTP status, or by exception for a failed connection
    codes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def check(resp: Response, tally: Tally) -> bool:
    if resp.status_code < 300:
        return True
    with tally.lock:
        tally.errors += 1
        tally.codes[str(resp.status_code)] += 1
        if LOCKED in resp.text:
            tally.locked += 1
    return False


def phase(target: Target, clients: int, seconds: float, work: Callable[[Client, int, Tally], bool]) -> Tally:
    """Every client repeats `work(client, i, tally)` until time is up (or it returns False)."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    def loop(idx: int) -> None:
        with Client(target.base_url, target.headers, timeout=60) as c:
            i = 0
            while time.monotonic() < deadline:
                try:
                    if not work(c, idx * 1_000_000 + i, tally):
                        return
                except httpx.HTTPError as exc:
                    with tally.lock:
                        tally.errors += 1
                        tally.codes[type(exc.__cause__ or exc).__name__] += 1
                        tally.locked += LOCKED in str(exc)
                i += 1

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally


def measure(target: Target, clients: int, seconds: float) -> dict[str, Any]:
    created: list[list[str]] = [[] for _ in range(clients)]

    def create(c: Client, i: int, tally: Tally) -> bool:
        run_id = target.create(c)
        if run_id:
            created[i // 1_000_000].append(run_id)
            with tally.lock:
                tally.ok += 1
        return True

    def transition(c: Client, i: int, tally: Tally) -> bool:
        mine = created[i // 1_000_000]
        n = i % 1_000_000
        if n // 2 >= len(mine):
            return False
        ok = target.set_state(c, mine[n // 2], "RUNNING" if n % 2 == 0 else "COMPLETED")
        if ok:
            with tally.lock:
                tally.ok += 1
        return True

    t0, c0 = time.monotonic(), cpu_seconds(target.pid)
    made = phase(target, clients, seconds, create)
    t_create, c_create = time.monotonic() - t0, cpu_seconds(target.pid) - c0
    t0, c0 = time.monotonic(), cpu_seconds(target.pid)
    moved = phase(target, clients, seconds, transition)
    t_move, c_move = time.monotonic() - t0, cpu_seconds(target.pid) - c0
    return {
        "created_per_s": made.ok / t_create,
        "transitions_per_s": moved.ok / t_move,
        "create_cpu_ms": 1000 * c_create / max(made.ok, 1),
        "transition_cpu_ms": 1000 * c_move / max(moved.ok, 1),
        "errors": made.errors + moved.errors,
        "locked": made.locked + moved.locked,
        "codes": made.codes + moved.codes,
    }


# -- jupyter-orch ---------------------------------------------------------------------------------


def orch_target(server: ServerProcess) -> Target:
    tally = Tally()

    def create(c: Client) -> str:
        r = c.post("/orch/api/flow_runs", json={"flow_name": "bench", "tags": ["bench"], "state": PENDING})
        return r.json()["id"] if check(r, tally) else ""

    def set_state(c: Client, run_id: str, state: str) -> bool:
        r = c.post(f"/orch/api/flow_runs/{run_id}/set_state", json={"state": {"type": state}})
        return check(r, tally) and r.json()["status"] == "ACCEPT"

    name = "jupyter-orch" + ("/pg" if server.database_url.startswith("postgresql") else "")
    pid = server.proc.pid if server.proc else None
    return Target(name, server.url, server.headers, create, set_state, server.log_text, pid)


# -- Prefect --------------------------------------------------------------------------------------


class PrefectServer:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "prefect.log"

    def start(self, timeout: float = 180) -> PrefectServer:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{self.home / 'prefect.db'}",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        }
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(PREFECT_VENV / "bin" / "prefect"),
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prefect server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise TimeoutError("prefect server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


def prefect_target(server: PrefectServer) -> Target:
    tally = Tally()
    flow_id = httpx.post(f"{server.url}/api/flows/", json={"name": "bench"}, timeout=30).json()["id"]

    def create(c: Client) -> str:
        r = c.post("/api/flow_runs/", json={"flow_id": flow_id, "tags": ["bench"], "state": PENDING})
        return r.json()["id"] if check(r, tally) else ""

    def set_state(c: Client, run_id: str, state: str) -> bool:
        r = c.post(f"/api/flow_runs/{run_id}/set_state", json={"state": {"type": state}})
        return check(r, tally) and r.json()["status"] == "ACCEPT"

    log = lambda: server.log_path.read_text(errors="replace")  # noqa: E731
    return Target("prefect 3", server.url, {}, create, set_state, log, server.proc.pid)


def ensure_prefect_venv() -> bool:
    """Wait for (or create) the Prefect venv; another process may be creating it right now."""
    prefect = PREFECT_VENV / "bin" / "prefect"
    lock = PREFECT_VENV.with_suffix(".lock")
    for _ in range(600):
        if prefect.exists() and not lock.exists():
            return True
        if not PREFECT_VENV.exists():
            lock.touch()
            try:
                subprocess.run([sys.executable, "-m", "venv", str(PREFECT_VENV)], check=True)
                subprocess.run(
                    [str(PREFECT_VENV / "bin" / "pip"), "install", "-q", "prefect==3.8.8", "fastapi<0.150"],
                    check=True,
                )
            finally:
                lock.unlink(missing_ok=True)
            return prefect.exists()
        time.sleep(1)
    return False


def measure_orch(args: argparse.Namespace, tmp: Path) -> tuple[list[tuple[str, int, dict[str, Any]]], int]:
    """Our server's figures for each client count, and its log's "database is locked" count."""
    orch_db = args.postgres or f"sqlite:///{Path(tmp) / 'orch' / 'orch.db'}"
    orch = ServerProcess(orch_db, Path(tmp) / "orch").start()
    try:
        target = orch_target(orch)
        results = [(target.name, n, measure(target, n, args.seconds)) for n in args.clients]
        return results, orch.log_text().count(LOCKED)
    finally:
        orch.stop()


def ab_main(args: argparse.Namespace) -> None:
    """`--baseline`: ours and the baseline's, interleaved, side by side."""
    results = baseline.interleave(__file__, baseline.child_argv(sys.argv[1:]), args.baseline, args.rounds)
    rows = []
    for n in args.clients:
        rows += [
            (f"{n} client(s): runs created/s", f"created_per_s_{n}", lambda x: f"{x:.0f}"),
            (f"{n} client(s): server CPU per create", f"create_cpu_ms_{n}", lambda x: f"{x:.2f} ms"),
            (f"{n} client(s): transitions/s", f"transitions_per_s_{n}", lambda x: f"{x:.0f}"),
            (f"{n} client(s): server CPU per transition", f"transition_cpu_ms_{n}", lambda x: f"{x:.2f} ms"),
            (f"{n} client(s): errors", f"errors_{n}", lambda x: f"{x:.0f}"),
        ]
    baseline.print_ab(results, rows, note=f"{args.seconds:g} s phases, {args.rounds} rounds a side; ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each timed phase")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run jupyter-orch on this PostgreSQL database (postgresql+psycopg://...) instead of SQLite",
    )
    baseline.add_arguments(parser)
    args = parser.parse_args()
    if args.baseline:
        ab_main(args)
        return
    if args.as_child:
        with tempfile.TemporaryDirectory() as tmp:
            results, _ = measure_orch(args, Path(tmp))
        baseline.emit({f"{k}_{n}": r[k] for _, n, r in results for k in r if k != "codes"})
        return

    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        results, orch_locked_log = measure_orch(args, Path(tmp))
        prefect_locked_log = 0
        if not args.no_prefect and ensure_prefect_venv():
            prefect = PrefectServer(Path(tmp) / "prefect").start()
            try:
                target = prefect_target(prefect)
                for n in args.clients:
                    results.append((target.name, n, measure(target, n, args.seconds)))
                prefect_locked_log = prefect.log_path.read_text(errors="replace").count(LOCKED)
            finally:
                prefect.stop()
    print_results(results, orch_locked_log, prefect_locked_log, load0, args.clients)


def print_results(
    results: list[tuple[str, int, dict[str, Any]]],
    orch_locked_log: int,
    prefect_locked_log: int,
    load0: tuple[float, float, float],
    clients: list[int],
) -> None:
    print()
    print(
        f"{'server':<14}{'clients':>8}{'runs created/s':>16}{'CPU/create':>12}{'transitions/s':>15}"
        f"{'CPU/trans.':>12}{'errors':>8}{'db locked':>11}"
    )
    for name, n, r in results:
        print(
            f"{name:<14}{n:>8}{r['created_per_s']:>16.1f}{r['create_cpu_ms']:>9.2f} ms"
            f"{r['transitions_per_s']:>15.1f}{r['transition_cpu_ms']:>9.2f} ms{r['errors']:>8.0f}"
            f"{r['locked']:>11.0f}"
        )
    for name, n, r in results:
        if r["codes"]:
            codes = ", ".join(f"{code} ×{count}" for code, count in sorted(r["codes"].items()))
            print(f"errors of {name}, {n} client(s), by HTTP status or exception: {codes}")
    orch_name = results[0][0]
    print(f"'database is locked' in server logs: {orch_name} {orch_locked_log}, prefect {prefect_locked_log}")
    end = os.getloadavg()
    print(
        "load average (1/5/15 min): at start",
        *(f"{x:.2f}" for x in load0),
        "- at end",
        *(f"{x:.2f}" for x in end),
    )
    by = {(name, n): r for name, n, r in results}
    for n in clients:
        if ("prefect 3", n) in by:
            a, b = by[(orch_name, n)], by[("prefect 3", n)]
            print(
                f"{n} client(s): creates {a['created_per_s'] / max(b['created_per_s'], 1e-9):.1f}x, "
                f"transitions {a['transitions_per_s'] / max(b['transitions_per_s'], 1e-9):.1f}x Prefect"
            )


if __name__ == "__main__":
    main()
