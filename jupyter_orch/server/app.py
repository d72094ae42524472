"""`OrchApp`: the jupyter_orch server extension (REST API, API docs, background services)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Float, Int, List, Unicode, default

from jupyter_orch.api.database import Database
from jupyter_orch.api.table import PREFIX
from jupyter_orch.api.writer import GroupCommitWriter
from jupyter_orch.db.sqlite import WalCheckpointer, file_of
from jupyter_orch.orchestration.events import EventHub, Feed, open_feed
from jupyter_orch.server.events import EventsHandler
from jupyter_orch.server.handlers import DocsHandler, api_handlers
from jupyter_orch.server.service_registry import ServiceRegistry
from jupyter_orch.services import ServiceSettings, build, check_extra
from jupyter_orch.services.local_worker import LocalWorkerService
from jupyter_orch.settings import (
    API_TOKEN_ENV,
    API_URL_ENV,
    DATABASE_URL_ENV,
    HEARTBEAT_TIMEOUT_ENV,
    HOME_ENV,
    LIMIT_HELP,
    Limits,
    get_settings,
    heartbeat_timeout,
    limit_env,
    limits_from_env,
    set_limits,
)

STATIC_DIR = Path(__file__).parent / "static"
#: the traits handed to `ServiceSettings` under their own names
SERVICE_TRAITS = (
    "database_url",
    "scheduler_interval",
    "scheduler_lease_ttl",
    "scheduler_min_runs",
    "scheduler_max_runs",
    "scheduler_min_time",
    "late_runs_interval",
    "heartbeat_timeout",
    "local_worker",
    "kernel_pool_size",
)
#: `ServiceSettings`' defaults: the traits of the same names start from them, so the two cannot drift
SERVICE_DEFAULTS = {f.name: f.default for f in fields(ServiceSettings)}


def _limit_trait(name: str) -> Float | Int:
    """The trait of one input limit (`jupyter_orch.settings.Limits`), of its default's type; unset
    (None), the limit comes from `$JUPYTER_ORCH_<NAME>`, else that default (see `OrchApp._limits`)."""
    default = getattr(Limits(), name)
    kind = Float if isinstance(default, float) else Int
    text = f"{LIMIT_HELP[name]} Default: ${limit_env(name)}, else {default:,}."
    return kind(None, allow_none=True, help=text).tag(config=True)


class OrchApp(ExtensionApp):
    """Workflow orchestration inside Jupyter."""

    name = "jupyter_orch"
    load_other_extensions = True
    static_paths = [str(STATIC_DIR)]  # type: ignore[assignment]

    home = Unicode(
        help="Where the database, results and run outputs live (default: $JUPYTER_ORCH_HOME, "
        "else ~/.jupyter_orch).",
    ).tag(config=True)
    database_url = Unicode(
        help="SQLAlchemy URL of the orchestration database (default: $JUPYTER_ORCH_DATABASE_URL, "
        "else a SQLite file in the home).",
    ).tag(config=True)
    scheduler_interval = Float(
        SERVICE_DEFAULTS["scheduler_interval"],
        help="Seconds between scheduler passes creating runs of deployments.",
    ).tag(config=True)
    scheduler_lease_ttl = Float(
        SERVICE_DEFAULTS["scheduler_lease_ttl"],
        help="Seconds the scheduling leader's database lease lasts unrenewed: with several servers on "
        "one database one schedules, and when it dies another takes over within this plus one "
        "scheduler_interval. Keep the scheduling window (scheduler_min_time, scheduler_max_runs) "
        "longer than that, or slots fall due during a takeover. 0: 3 x scheduler_interval, at least 2.",
    ).tag(config=True)
    scheduler_min_runs = Int(
        SERVICE_DEFAULTS["scheduler_min_runs"],
        help="The scheduler keeps at least this many future runs per schedule.",
    ).tag(config=True)
    scheduler_max_runs = Int(
        SERVICE_DEFAULTS["scheduler_max_runs"], help="...and at most this many (Prefect's MAX_RUNS)."
    ).tag(config=True)
    scheduler_min_time = Float(
        SERVICE_DEFAULTS["scheduler_min_time"],
        help="...and runs at least this many seconds ahead (Prefect's MIN_SCHEDULED_TIME).",
    ).tag(config=True)
    late_runs_interval = Float(
        SERVICE_DEFAULTS["late_runs_interval"],
        help="Seconds between passes marking overdue scheduled runs Late.",
    ).tag(config=True)
    heartbeat_interval = Float(30.0, help="Seconds between heartbeats of workers and running flows.").tag(
        config=True
    )
    heartbeat_timeout = Float(
        help="A run held by a worker whose heartbeat is older than this many seconds is marked Crashed "
        "(then retried if its flow has retries left). Workers heartbeat every 2 s. Default: "
        f"${HEARTBEAT_TIMEOUT_ENV}, else 30."
    ).tag(config=True)

    @default("heartbeat_timeout")
    def _heartbeat_timeout_default(self) -> float:
        return heartbeat_timeout()

    local_worker = Bool(
        SERVICE_DEFAULTS["local_worker"], help="Run the built-in local worker that executes deployment runs."
    ).tag(config=True)
    kernel_pool_size = Int(
        SERVICE_DEFAULTS["kernel_pool_size"],
        help="Warm kernels the local worker keeps ready per kernelspec, so a notebook run does not wait "
        "for a kernel to boot; each is used by one run only. 0 turns the pool off.",
    ).tag(config=True)
    background_services = Bool(
        True,
        help="Run the background services (scheduler, late runs, crash detection, notifications, local "
        "worker). False: the REST API alone.",
    ).tag(config=True)
    disabled_services = List(
        Unicode(),
        help="Names of services not to start: scheduler, late_runs, crash_detection, notifications, "
        "local_worker (or an extra service's).",
    ).tag(config=True)
    extra_services = List(
        Unicode(),
        help="More background services, each 'module:factory': factory(ServiceSettings) returns a "
        "jupyter_orch.services.Service, shown in /health under the factory's name.",
    ).tag(config=True)
    sqlite_checkpoint_interval = Float(
        0.25,
        help="Seconds between checkpoints of a SQLite database's write-ahead log by a thread of the "
        "server, so that no request's commit pays for one. 0: SQLite checkpoints on commits.",
    ).tag(config=True)
    events_interval = Float(
        0.02,
        help="Seconds between looks for new commits by the live event feed on SQLite (PostgreSQL "
        "pushes them: LISTEN/NOTIFY); a change reaches /orch/api/events subscribers within about this.",
    ).tag(config=True)
    events_queue_limit = Int(
        10_000,
        help="Events kept for a slow /orch/api/events subscriber; past it the oldest are dropped and the "
        "subscriber is sent {'kind': 'overflow', 'dropped': N}.",
    ).tag(config=True)
    executor_threads = Int(8, help="Threads running database reads off the event loop.").tag(config=True)
    group_commit = Bool(
        True,
        help="Run API writes on one writer thread that commits the writes of concurrent requests in one "
        "transaction (each in a savepoint; every request answered after the commit). Off: each write "
        "runs in its own transaction in the read thread pool.",
    ).tag(config=True)
    group_commit_max = Int(64, help="Most writes committed together in one group-commit transaction.").tag(
        config=True
    )
    group_commit_threads = Int(
        1,
        help="Group-commit writer threads. More than one only helps PostgreSQL (their batches overlap "
        "round trips) and lets batches that lock the same runs deadlock (the victim is run again, after "
        "PostgreSQL's deadlock_timeout); SQLite always uses one (it has one writer anyway).",
    ).tag(config=True)
    # input limits (jupyter_orch.settings.Limits); unset: $JUPYTER_ORCH_<NAME>, else the built-in default
    min_schedule_interval = _limit_trait("min_schedule_interval")
    max_body_bytes = _limit_trait("max_body_bytes")
    max_batch_body_bytes = _limit_trait("max_batch_body_bytes")
    max_parameters_bytes = _limit_trait("max_parameters_bytes")
    max_log_message_bytes = _limit_trait("max_log_message_bytes")
    max_json_depth = _limit_trait("max_json_depth")
    set_client_env = Bool(
        True,
        help=f"Set {API_URL_ENV}/{API_TOKEN_ENV} in this process (unless already set) so kernels started "
        "by this server report their flows to it.",
    ).tag(config=True)

    @default("home")
    def _home_default(self) -> str:
        return str(get_settings().home)

    @default("database_url")
    def _database_url_default(self) -> str:
        url = get_settings().database_url
        if not os.environ.get(DATABASE_URL_ENV):  # the default file lives in the configured home
            url = f"sqlite:///{Path(self.home).expanduser() / 'orch.db'}"
        return url

    def initialize_settings(self) -> None:
        """Create the shared objects handlers and services get explicitly: database and executor."""
        self.services = ServiceRegistry(self.log)
        self.stopping = threading.Event()  # set by stop_extension: requests are answered 503 from then
        self.limits = self._limits()
        set_limits(self.limits)  # what the API and the store accept, for this server's process
        self.executor = ThreadPoolExecutor(self.executor_threads, thread_name_prefix="jupyter-orch-db")
        self.database = Database(
            self.database_url,
            info={
                "services": self.services.snapshot,
                "root_dir": self.serverapp.root_dir,
                "home": Path(self.home).expanduser(),
            },
        )
        self.checkpointer: WalCheckpointer | None = None
        db_file = file_of(self.database_url) if self.database.dialect == "sqlite" else None
        if db_file and self.sqlite_checkpoint_interval > 0:
            self.checkpointer = WalCheckpointer(db_file, self.sqlite_checkpoint_interval)
            self.checkpointer.start()
            self.database.engine.dispose()  # connections opened from now on leave it the checkpoints
        # writes: one thread, concurrent requests' writes batched into one commit; reads: the pool
        self.writer: GroupCommitWriter | None = None
        if self.group_commit:
            threads = 1 if self.database.dialect == "sqlite" else max(1, self.group_commit_threads)
            self.writer = GroupCommitWriter(self.database, max_batch=self.group_commit_max, threads=threads)
        self.events: EventHub | None = EventHub(self.events_queue_limit)
        self.event_feed: Feed | None = None
        try:
            self.event_feed = open_feed(self.database_url, self.events, self.events_interval).start()
        except ValueError as exc:  # an in-memory or unusual database: the REST API still works
            self.log.warning("jupyter_orch: no live event feed: %s", exc)
            self.events = None
        self._env_set: list[str] = []
        self._env_saved: dict[str, str | None] = {}
        # code that reads the environment (results, run outputs, the local worker's run processes)
        # must agree with this server's configured home and database, whichever way they were set
        self._export_env(HOME_ENV, str(Path(self.home).expanduser()))
        self._export_env(DATABASE_URL_ENV, self.database_url)
        check_extra(self.extra_services)  # a misnamed extra service fails the start, not later
        IOLoop.current().add_callback(self._on_started)
        self.log.info(
            "jupyter_orch: database %s", self.database.engine.url.render_as_string(hide_password=True)
        )

    def _limits(self) -> Limits:
        """The limits in force: each trait set in the configuration, else the environment's."""
        env = limits_from_env()
        chosen = {name: getattr(self, name) for name in LIMIT_HELP if getattr(self, name) is not None}
        for name, value in chosen.items():
            if not value > 0:
                raise ValueError(f"OrchApp.{name} must be positive, got {value!r}")
        return replace(env, **chosen)

    def initialize_handlers(self) -> None:
        static = self.static_url_prefix
        # before the API's catch-all 404 route
        self.handlers.append((PREFIX + "/events", EventsHandler, {"hub": self.events}))
        self.handlers.extend(api_handlers(self.database, self.executor, self.writer, self.stopping))
        self.handlers.extend(
            [
                ("/orch/docs", DocsHandler, {"page": "swagger", "static_url": static}),
                ("/orch/redoc", DocsHandler, {"page": "redoc", "static_url": static}),
            ]
        )

    @property
    def api_url(self) -> str:
        """This server's root URL (with base_url) as clients put it in JUPYTER_ORCH_API_URL."""
        return self.serverapp.connection_url.rstrip("/")

    async def _on_started(self) -> None:
        """Once the loop runs (port bound): point kernels at this server, start the services."""
        if self.set_client_env and not os.environ.get(API_URL_ENV):
            os.environ[API_URL_ENV] = self.api_url
            self._env_set.append(API_URL_ENV)
            token = self.serverapp.identity_provider.token
            if token and not os.environ.get(API_TOKEN_ENV):
                os.environ[API_TOKEN_ENV] = token
                self._env_set.append(API_TOKEN_ENV)
        services = self._build_services()
        local = services.get("local_worker")
        if self.events is not None and isinstance(local, LocalWorkerService):
            local.follow(self.events)  # an ad hoc run starts on its event, not at the next poll
        await self.services.start_all(services)

    def _build_services(self) -> dict[str, Any]:
        """The services this server runs, from its traits (`services.build`)."""
        if not self.background_services:
            return {}
        try:
            return build(
                ServiceSettings(
                    **{name: getattr(self, name) for name in SERVICE_TRAITS},
                    disabled=frozenset(self.disabled_services),
                    extra=tuple(self.extra_services),
                )
            )
        except Exception:
            self.log.exception("jupyter_orch: the background services could not be built")
            return {}

    def _export_env(self, name: str, value: str) -> None:
        if os.environ.get(name) != value:
            self._env_saved[name] = os.environ.get(name)
            os.environ[name] = value

    def initialize(self) -> None:
        """Load the extension, or end the server: a server whose orchestration failed to load
        (database unreachable, a migration failing, a service module missing) would otherwise keep
        running, answer 404 on every /orch/api route and leave the failure in a log line.

        `SystemExit` passes through jupyter_server's extension loader (it catches `Exception`),
        so `jupyter lab` and `jupyter orch server` exit non-zero, before binding their port, with
        the reason on stderr."""
        try:
            super().initialize()
        except Exception as exc:
            self.log.critical("jupyter_orch failed to load; stopping the server", exc_info=True)
            self._release()
            raise SystemExit(f"jupyter_orch failed to load: {type(exc).__name__}: {exc}") from exc

    async def stop_extension(self) -> None:
        """Stop the services, then release everything; never raises.

        jupyter_server stops its event loop only after every extension's `stop_extension` has
        returned, so an exception here left a SIGTERMed server running. Each step runs whatever
        the others did, also on an app whose `initialize_settings` never finished. From its
        start, requests still arriving (on kept-alive connections, the listener is closed
        already) are answered 503, not failed as 500 by the writer and pool going away."""
        stopping: threading.Event | None = getattr(self, "stopping", None)
        if stopping is not None:
            stopping.set()
        services: ServiceRegistry | None = getattr(self, "services", None)
        if services is not None:
            try:
                await services.stop_all()
            except Exception:
                self.log.exception("jupyter_orch: stopping the services failed")
        self._release()

    def _release(self) -> None:
        """Give back what `initialize_settings` took, as far as it got; each step logs its error."""
        for step in (self._restore_env, self._stop_threads):
            try:
                step()
            except Exception:
                self.log.exception("jupyter_orch: %s failed during shutdown", step.__name__)

    def _restore_env(self) -> None:
        set_limits(None)
        for name in getattr(self, "_env_set", ()):
            os.environ.pop(name, None)
        self._env_set = []
        for name, previous in getattr(self, "_env_saved", {}).items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous
        self._env_saved = {}

    def _stop_threads(self) -> None:
        for name, stop in (
            ("writer", lambda obj: obj.stop()),
            ("executor", lambda obj: obj.shutdown(wait=True, cancel_futures=True)),
            ("checkpointer", lambda obj: obj.stop()),
            ("event_feed", lambda obj: obj.stop()),
        ):
            obj = getattr(self, name, None)
            if obj is None:
                continue
            setattr(self, name, None)  # stopped once, even when called again
            try:
                stop(obj)
            except Exception:
                self.log.exception("jupyter_orch: stopping the %s failed", name)
