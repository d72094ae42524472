"""`setup_logging` and the API log handler as Prefect 3's newer releases: repeated calls are
incremental once a configuration is applied, a user's file without a version is read as
version 1, `${PREFECT_LOGGING_SERVER_LEVEL}` is the server level's other name, list values
(handlers) take comma-separated overrides, extra loggers keep their own level, oversized logs
are cut to fit with a marker; workers answer `sync_with_backend` and `types._datetime` helpers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timezone
from typing import Any
from unittest.mock import MagicMock

import pytest

import jupyter_orch.logging.configuration as configuration
from jupyter_orch.logging.handlers import APILogHandler
from jupyter_orch.settings import (
    PREFECT_LOGGING_EXTRA_LOGGERS,
    PREFECT_LOGGING_SETTINGS_PATH,
    PREFECT_LOGGING_TO_API_MAX_LOG_SIZE,
    PREFECT_SERVER_LOGGING_LEVEL,
    temporary_settings,
)
from jupyter_orch.types._datetime import from_timestamp, now, parse_datetime
from jupyter_orch.workers.base import BaseJobConfiguration, BaseWorker


@pytest.fixture
def applied(monkeypatch: pytest.MonkeyPatch) -> MagicMock:
    """`logging.config.dictConfig` recorded instead of applied, from a fresh process state."""
    recorder = MagicMock()
    monkeypatch.setattr("logging.config.dictConfig", recorder)
    monkeypatch.setattr(configuration, "PROCESS_LOGGING_CONFIG", {})
    return recorder


def test_incremental_overrides_and_extra_loggers(applied: MagicMock, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PREFECT_LOGGING_ROOT_HANDLERS", "console, other")
    external = logging.getLogger(f"lib-{uuid.uuid4().hex}")
    external.setLevel(logging.ERROR)
    with temporary_settings({PREFECT_LOGGING_EXTRA_LOGGERS: external.name}):
        configuration.setup_logging()
        configuration.setup_logging()
    first, second = (call.args[0] for call in applied.call_args_list)
    assert (first["incremental"], second["incremental"]) == (False, True)
    assert first["root"]["handlers"] == ["console", "other"]
    assert external.level == logging.ERROR


def test_a_partial_user_file_and_the_server_level_alias(applied: MagicMock, tmp_path):
    applied.side_effect = lambda config: (
        None if "version" in config else (_ for _ in ()).throw(ValueError("no version"))
    )  # as logging.config.dictConfig answers a configuration without a version
    path = tmp_path / "logging.yml"
    path.write_text('loggers:\n  jupyter_orch.partial:\n    level: "${PREFECT_LOGGING_SERVER_LEVEL}"\n')
    with temporary_settings({PREFECT_LOGGING_SETTINGS_PATH: path, PREFECT_SERVER_LOGGING_LEVEL: "ERROR"}):
        config = configuration.setup_logging()
    assert config["loggers"]["jupyter_orch.partial"]["level"] == "ERROR"
    given, retried = (call.args[0] for call in applied.call_args_list)
    assert "version" not in given and retried["version"] == 1


def test_oversized_logs_are_cut_to_fit():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "X" * 2000, (), None)
    record.flow_run_id = str(uuid.uuid4())
    with temporary_settings({PREFECT_LOGGING_TO_API_MAX_LOG_SIZE: 600}):
        log = APILogHandler().prepare(record)
    assert log["message"].endswith("... [truncated]") and log["__payload_truncated__"] is True
    assert log["__payload_size__"] <= 600


class _Connected(BaseWorker[Any, Any, Any]):
    type = "connected"
    job_configuration = BaseJobConfiguration

    async def _send_worker_heartbeat(self, *args: Any, **kwargs: Any) -> Any:
        return "w-1"


def test_workers_sync_with_their_backend(caplog: pytest.LogCaptureFixture):
    async def main() -> tuple[Any, Any]:
        plain = BaseWorker(work_pool_name="pool", name="plain")
        await plain.sync_with_backend()
        async with _Connected(work_pool_name="pool", name="linked") as worker:
            await worker.sync_with_backend()
            worker._logger.warning("hello from the worker")
            return plain, worker

    plain, worker = asyncio.run(main())
    assert plain.backend_id is None and isinstance(plain._logger, logging.Logger)
    assert worker.backend_id == "w-1"
    [record] = [r for r in caplog.records if r.getMessage() == "hello from the worker"]
    assert record.worker_id == "w-1" and record.name == "jupyter_orch.workers.connected.linked"


def test_datetime_helpers():
    assert now().tzinfo is not None and now("UTC").utcoffset().total_seconds() == 0
    assert from_timestamp(0) == parse_datetime("1970-01-01T00:00:00Z")
    assert from_timestamp(0).tzinfo == timezone.utc
