"""Configuration read from the environment (the server may override it through traitlets)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HOME_ENV = "JUPYTER_ORCH_HOME"
DATABASE_URL_ENV = "JUPYTER_ORCH_DATABASE_URL"
API_URL_ENV = "JUPYTER_ORCH_API_URL"
API_TOKEN_ENV = "JUPYTER_ORCH_API_TOKEN"
HEARTBEAT_TIMEOUT_ENV = "JUPYTER_ORCH_HEARTBEAT_TIMEOUT"
#: seconds without a heartbeat after which a run a worker holds is marked Crashed
DEFAULT_HEARTBEAT_TIMEOUT = 30.0
WRITER_MAX_PENDING_ENV = "JUPYTER_ORCH_WRITER_MAX_PENDING"
#: task-run records a process queues for its batch writer before its task threads wait for it
#: (10,000 before: with 64 pool threads ahead of the writer, 4,000 cost a 100,000-task map ~10%
#: less CPU, fewer threads wanting the GIL at once, and less memory)
DEFAULT_WRITER_MAX_PENDING = 4_000


def writer_max_pending() -> int:
    """`JUPYTER_ORCH_WRITER_MAX_PENDING`, else the default; a bad value is a ValueError."""
    raw = os.environ.get(WRITER_MAX_PENDING_ENV)
    if not raw:
        return DEFAULT_WRITER_MAX_PENDING
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{WRITER_MAX_PENDING_ENV}={raw!r}: expected a whole number") from None
    if value <= 0:
        raise ValueError(f"{WRITER_MAX_PENDING_ENV}={raw!r}: must be positive")
    return value


@dataclass(frozen=True)
class Settings:
    """A snapshot of the settings; read again with :func:`get_settings` when the environment changes."""

    home: Path
    database_url: str
    api_url: str | None
    api_token: str | None

    @property
    def results_dir(self) -> Path:
        return self.home / "results"

    @property
    def outputs_dir(self) -> Path:
        return self.home / "outputs"

    @property
    def deployments_dir(self) -> Path:
        return self.home / "deployments"

    def as_dict(self, reveal_secrets: bool = False) -> dict[str, str | None]:
        token = self.api_token
        if token and not reveal_secrets:
            token = obfuscate(token)
        return {
            HOME_ENV: str(self.home),
            DATABASE_URL_ENV: redact_url(self.database_url) if not reveal_secrets else self.database_url,
            API_URL_ENV: self.api_url,
            API_TOKEN_ENV: token,
        }


def redact_url(url: str) -> str:
    """Hide a password in a database URL so it can be printed or logged."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"


OBFUSCATED_PREFIX = "*" * 4


def obfuscate(value: Any, show_tail: bool = False) -> str:
    """A secret as it may be shown: eight asterisks, or four plus its last four characters
    (`show_tail=True`, only when it is long enough not to give it away). It lives beside the
    settings that hold secrets, below the engine's run loggers that mask the API key with it;
    `utilities.names` is Prefect's public name for it."""
    text = str(value)
    if show_tail and len(text) >= 12:
        return OBFUSCATED_PREFIX + text[-4:]
    return "*" * 8


def get_settings() -> Settings:
    home = Path(os.environ.get(HOME_ENV) or Path.home() / ".jupyter_orch").expanduser()
    url = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{home / 'orch.db'}"
    return Settings(
        home=home,
        database_url=url,
        api_url=(os.environ.get(API_URL_ENV) or None),
        api_token=(os.environ.get(API_TOKEN_ENV) or None),
    )


def get_current_settings() -> SimpleNamespace:
    """Prefect's accessor, shaped as code written for Prefect reads it: `.api.url` (the server
    flows report to, or None), `.api.key` (the token), `.home`, `.database_url`."""
    current = get_settings()
    return SimpleNamespace(
        home=current.home,
        database_url=current.database_url,
        api=SimpleNamespace(url=current.api_url, key=current.api_token),
    )


# -- input limits ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """What the REST API and the store accept, so that no input can exhaust the server or the
    database. Each is read from `JUPYTER_ORCH_<NAME>` (upper case), and the server's traitlets
    `c.OrchApp.<name>` override them; input beyond a limit is a 4xx naming the field (413 for a
    request body, 422 otherwise). `LIMIT_HELP` says what each one bounds."""

    min_schedule_interval: float = 1.0
    max_body_bytes: int = 1_000_000
    max_batch_body_bytes: int = 16_000_000
    max_parameters_bytes: int = 512_000
    max_log_message_bytes: int = 1_000_000
    max_json_depth: int = 64


LIMIT_HELP: dict[str, str] = {
    "min_schedule_interval": "Shortest interval schedule accepted, in seconds.",
    "max_body_bytes": "Largest request body of the REST API in bytes (runs, deployments, ...); "
    "larger is a 413.",
    "max_batch_body_bytes": "Largest body of the batch routes in bytes (POST /logs, /task_runs/batch, "
    "/flow_runs/set_states), which carry many records at once.",
    "max_parameters_bytes": "Largest parameters of a flow run or deployment, as JSON, in bytes.",
    "max_log_message_bytes": "Longest log message in bytes (UTF-8); clients cut longer lines to this.",
    "max_json_depth": "Deepest nesting of free-form JSON values (parameters, job variables, state "
    "data, artifacts, ...); a body nested deeper than Python can parse is refused too.",
}


def limit_env(name: str) -> str:
    return f"JUPYTER_ORCH_{name.upper()}"


def limits_from_env(env: dict[str, str] | None = None) -> Limits:
    """The defaults, overridden by `JUPYTER_ORCH_<NAME>` variables; a bad value is a ValueError."""
    env = dict(os.environ) if env is None else env
    values: dict[str, float | int] = {}
    for name, default in Limits().__dict__.items():
        raw = env.get(limit_env(name))
        if not raw:
            continue
        try:
            value = type(default)(float(raw)) if isinstance(default, int) else float(raw)
        except ValueError:
            raise ValueError(f"{limit_env(name)}={raw!r}: expected a number") from None
        if not value > 0:
            raise ValueError(f"{limit_env(name)}={raw!r}: must be positive")
        values[name] = value
    return Limits(**values)  # type: ignore[arg-type]


_limits: list[Limits] = []


def limits() -> Limits:
    """The limits in force: those a server set (`set_limits`), else the environment's (read once)."""
    if not _limits:
        _limits.append(limits_from_env())
    return _limits[0]


def set_limits(value: Limits | None) -> None:
    """Put `value` in force for this process (None: read the environment again on next use)."""
    _limits.clear()
    if value is not None:
        _limits.append(value)


def clip_log_message(message: str) -> str:
    """`message` cut to the `max_log_message_bytes` limit (UTF-8), marked where cut: a client
    cuts a huge line rather than have the server refuse the whole batch it travels in."""
    limit = limits().max_log_message_bytes
    if len(message) * 4 <= limit:
        return message
    data = message.encode("utf-8", "replace")
    if len(data) <= limit:
        return message
    marker = f" … [cut: {len(data)} bytes, limit {limit}]"
    return data[: max(0, limit - len(marker.encode()))].decode("utf-8", "ignore") + marker


def heartbeat_timeout() -> float:
    """Crash detection's timeout: $JUPYTER_ORCH_HEARTBEAT_TIMEOUT, else 30 s (the server's
    `c.OrchApp.heartbeat_timeout` overrides it)."""
    raw = os.environ.get(HEARTBEAT_TIMEOUT_ENV)
    if not raw:
        return DEFAULT_HEARTBEAT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{HEARTBEAT_TIMEOUT_ENV}={raw!r}: expected a number of seconds") from None
    if not value > 0:
        raise ValueError(f"{HEARTBEAT_TIMEOUT_ENV}={raw!r}: must be positive")
    return value


# -- Prefect's setting objects ----------------------------------------------------------------------
class Setting:
    """One of Prefect's settings by its name (`PREFECT_TASK_DEFAULT_RETRIES`): `.value()` is the
    value in force, `temporary_settings({SETTING: value})` overrides it for a block."""

    def __init__(self, name: str, default: Any = None, kind: Callable[[Any], Any] | None = None) -> None:
        self.name = name
        self._default = default
        self._kind = kind

    def value(self) -> Any:
        if self in _overrides:
            return _overrides[self]
        return self._default() if callable(self._default) and self._kind is not None else self._default

    def value_from(self, settings: Any = None) -> Any:
        return self.value()

    def coerce(self, raw: Any) -> Any:
        if raw is None or self._kind is None:
            return raw
        if self._kind is bool and isinstance(raw, str):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        return self._kind(raw)

    def __bool__(self) -> bool:
        return bool(self.value())

    def __repr__(self) -> str:
        return f"<{self.name}: {self.value()!r}>"


def _path(raw: Any) -> Path:
    return Path(raw).expanduser()


def _results_dir() -> Path:
    return get_settings().results_dir


def _api_url() -> str | None:
    return get_settings().api_url


_overrides: dict[Setting, Any] = {}

PREFECT_DEBUG_MODE = Setting("PREFECT_DEBUG_MODE", False, bool)
PREFECT_HOME = Setting("PREFECT_HOME", lambda: get_settings().home, _path)
PREFECT_API_URL = Setting("PREFECT_API_URL", _api_url, str)
PREFECT_UI_URL = Setting("PREFECT_UI_URL")
PREFECT_LOCAL_STORAGE_PATH = Setting("PREFECT_LOCAL_STORAGE_PATH", _results_dir, _path)
PREFECT_RESULTS_PERSIST_BY_DEFAULT = Setting("PREFECT_RESULTS_PERSIST_BY_DEFAULT", False, bool)
PREFECT_RESULTS_DEFAULT_SERIALIZER = Setting("PREFECT_RESULTS_DEFAULT_SERIALIZER", "pickle", str)
PREFECT_DEFAULT_RESULT_STORAGE_BLOCK = Setting("PREFECT_DEFAULT_RESULT_STORAGE_BLOCK", None, str)
PREFECT_TASK_SCHEDULING_DEFAULT_STORAGE_BLOCK = Setting(
    "PREFECT_TASK_SCHEDULING_DEFAULT_STORAGE_BLOCK", None, str
)
PREFECT_TASK_DEFAULT_RETRIES = Setting("PREFECT_TASK_DEFAULT_RETRIES", 0, int)
PREFECT_TASK_DEFAULT_RETRY_DELAY_SECONDS = Setting("PREFECT_TASK_DEFAULT_RETRY_DELAY_SECONDS", 0, float)
PREFECT_TASKS_REFRESH_CACHE = Setting("PREFECT_TASKS_REFRESH_CACHE", False, bool)
PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS = Setting(
    "PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS", None, int
)
#: ProcessPoolTaskRunner's default number of processes (None: the CPU count)
PREFECT_TASKS_RUNNER_PROCESS_POOL_MAX_WORKERS = Setting(
    "PREFECT_TASKS_RUNNER_PROCESS_POOL_MAX_WORKERS", None, int
)
PREFECT_FLOW_DEFAULT_RETRIES = Setting("PREFECT_FLOW_DEFAULT_RETRIES", 0, int)
PREFECT_FLOW_DEFAULT_RETRY_DELAY_SECONDS = Setting("PREFECT_FLOW_DEFAULT_RETRY_DELAY_SECONDS", 0, float)
PREFECT_LOGGING_LEVEL = Setting("PREFECT_LOGGING_LEVEL", "INFO", str)
PREFECT_LOGGING_LOG_PRINTS = Setting("PREFECT_LOGGING_LOG_PRINTS", False, bool)
PREFECT_SERVER_LOGGING_LEVEL = Setting("PREFECT_SERVER_LOGGING_LEVEL", "WARNING", str)
PREFECT_LOGGING_SETTINGS_PATH = Setting(
    "PREFECT_LOGGING_SETTINGS_PATH", lambda: PREFECT_HOME.value() / "logging.yml", _path
)
PREFECT_LOGGING_EXTRA_LOGGERS = Setting("PREFECT_LOGGING_EXTRA_LOGGERS", "", str)
PREFECT_LOGGING_COLORS = Setting("PREFECT_LOGGING_COLORS", True, bool)
PREFECT_LOGGING_MARKUP = Setting("PREFECT_LOGGING_MARKUP", False, bool)
PREFECT_LOGGING_TO_API_ENABLED = Setting("PREFECT_LOGGING_TO_API_ENABLED", True, bool)
#: how many records a read answers by default (Prefect's; the API's lists take `limit`)
PREFECT_API_DEFAULT_LIMIT = Setting("PREFECT_API_DEFAULT_LIMIT", 200, int)
PREFECT_LOGGING_TO_API_BATCH_INTERVAL = Setting("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", 2.0, float)
PREFECT_LOGGING_TO_API_BATCH_SIZE = Setting("PREFECT_LOGGING_TO_API_BATCH_SIZE", 4_000_000, int)
PREFECT_LOGGING_TO_API_MAX_LOG_SIZE = Setting("PREFECT_LOGGING_TO_API_MAX_LOG_SIZE", 1_000_000, int)
#: "warn", "error" or "ignore": what the API log handler does with a record outside any run
PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW = Setting("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "warn", str)
PREFECT_API_KEY = Setting("PREFECT_API_KEY", None, str)
PREFECT_TEST_MODE = Setting("PREFECT_TEST_MODE", False, bool)


@contextmanager
def temporary_settings(
    updates: dict[Setting, Any] | None = None,
    set_defaults: dict[Setting, Any] | None = None,
    restore_defaults: Iterable[Setting] | None = None,
) -> Iterator[None]:
    """Prefect's `temporary_settings`: override settings (by their `Setting` objects) for this
    process until the block ends; values are coerced to the setting's type ("1" -> 1)."""
    saved = dict(_overrides)
    try:
        for setting, raw in {**(set_defaults or {}), **(updates or {})}.items():
            _overrides[setting] = setting.coerce(raw)
        for setting in restore_defaults or ():
            _overrides.pop(setting, None)
        yield
    finally:
        _overrides.clear()
        _overrides.update(saved)
