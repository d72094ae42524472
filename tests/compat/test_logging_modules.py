"""Prefect's logging modules (`prefect.logging.*`) as jupyter-orch gives them: configuration,
filters, formatters, handlers, `LogEavesdropper`, `patch_print`, the worker logger."""

from __future__ import annotations

import io
import json
import logging
import sys
import uuid
import warnings
from datetime import datetime, timezone
from unittest.mock import MagicMock

import pytest

from jupyter_orch._internal.concurrency.api import create_call, from_sync
from jupyter_orch.client.schemas.actions import LogCreate
from jupyter_orch.client.schemas.objects import Log
from jupyter_orch.exceptions import MissingContextError
from jupyter_orch.logging import LogEavesdropper, get_logger, get_run_logger
from jupyter_orch.logging.configuration import DEFAULT_LOGGING_SETTINGS_PATH, load_logging_config
from jupyter_orch.logging.filters import ObfuscateApiKeyFilter
from jupyter_orch.logging.formatters import JsonFormatter, PrefectFormatter
from jupyter_orch.logging.handlers import APILogHandler, PrefectConsoleHandler
from jupyter_orch.logging.loggers import get_worker_logger, patch_print
from jupyter_orch.settings import (
    PREFECT_API_KEY,
    PREFECT_LOGGING_LEVEL,
    PREFECT_LOGGING_TO_API_ENABLED,
    PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW,
    temporary_settings,
)
from jupyter_orch.testing.cli import temporary_console_width
from jupyter_orch.workers.base import BaseJobConfiguration, BaseWorker


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("tests.logging", logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_default_config_interpolates_settings_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_API_LEVEL", "ERROR")
    monkeypatch.setenv("PREFECT_LOGGING_LOGGERS_JUPYTER_ORCH_EXTRA_LEVEL", "DEBUG")
    with temporary_settings({PREFECT_LOGGING_LEVEL: "WARNING"}):
        config = load_logging_config(DEFAULT_LOGGING_SETTINGS_PATH)
    assert config["loggers"]["jupyter_orch"]["level"] == "WARNING"
    assert config["loggers"]["jupyter_orch.extra"]["level"] == "DEBUG"
    assert config["handlers"]["api"]["level"] == "ERROR"


def test_api_key_is_hidden_in_messages_and_args() -> None:
    record = _record("key %s in %s", "sekrit-value-123", "x", msg_extra=1)
    record.msg = "sekrit-value-123 then " + record.msg
    with temporary_settings({PREFECT_API_KEY: "sekrit-value-123"}):
        assert ObfuscateApiKeyFilter().filter(record)
    assert "sekrit" not in record.getMessage()
    assert "********" in record.getMessage()


def test_json_formatter_writes_every_attribute() -> None:
    line = JsonFormatter("default").format(_record("hello %s", "you", flow_run_id=uuid.uuid4()))
    fields = json.loads(line)
    assert fields["msg"] == "hello %s" and fields["args"] == ["you"] and fields["flow_run_id"]
    with pytest.raises(ValueError):
        JsonFormatter("nope")


def test_prefect_formatter_picks_the_run_format() -> None:
    fmt = PrefectFormatter(
        "plain %(message)s", flow_run_fmt="flow %(message)s", task_run_fmt="task %(message)s"
    )
    assert fmt.format(_record("m")) == "plain m"
    assert fmt.format(_record("m", flow_run_id="f")) == "flow m"
    assert fmt.format(_record("m", flow_run_id="f", task_run_id="t")) == "task m"


def test_api_handler_sends_a_log_create_of_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = MagicMock()
    monkeypatch.setattr("jupyter_orch.logging.handlers.APILogWorker", worker)
    flow_run_id = uuid.uuid4()
    APILogHandler().handle(_record("hi", flow_run_id=flow_run_id))
    log = worker.instance().send.call_args[0][0]
    assert {k: log[k] for k in ("flow_run_id", "task_run_id", "message", "level")} == {
        "flow_run_id": str(flow_run_id),
        "task_run_id": None,
        "message": "hi",
        "level": logging.INFO,
    }
    assert LogCreate.model_validate({k: v for k, v in log.items() if k != "__payload_size__"})
    worker.reset_mock()
    APILogHandler().handle(_record("hi", flow_run_id=flow_run_id, send_to_api=False))
    with temporary_settings({PREFECT_LOGGING_TO_API_ENABLED: "false"}):
        APILogHandler().handle(_record("hi", flow_run_id=flow_run_id))
    worker.instance().send.assert_not_called()


def test_api_handler_outside_a_run_warns_raises_or_ignores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("jupyter_orch.logging.handlers.APILogWorker", MagicMock())
    with pytest.warns(UserWarning, match="attempted to send logs .* without a flow run id"):
        APILogHandler().handle(_record("lost"))
    with temporary_settings({PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "error"}), pytest.raises(RuntimeError):
        APILogHandler().handle(_record("lost"))
    with temporary_settings({PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore"}), warnings.catch_warnings():
        warnings.simplefilter("error")
        APILogHandler().handle(_record("lost"))


def test_flush_on_the_global_loop_would_block() -> None:
    with pytest.raises(RuntimeError, match="would block"):
        from_sync.call_soon_in_loop_thread(create_call(APILogHandler().flush)).result(timeout=60)


def test_console_handler_writes_to_its_stream() -> None:
    stream = io.StringIO()
    handler = PrefectConsoleHandler(stream=stream)
    handler.handle(_record("hello console"))
    assert "hello console" in stream.getvalue()


def test_eavesdropper_collects_a_loggers_lines() -> None:
    logger = logging.getLogger("tests.eavesdrop")
    with LogEavesdropper("tests.eavesdrop", level=logging.DEBUG) as eavesdropper:
        logger.debug("one")
        logger.getChild("child").warning("two")
    logger.info("after")
    assert eavesdropper.text() == "[DEBUG]: one\n[WARNING]: two"


def test_patch_print_outside_a_run_prints(capsys: pytest.CaptureFixture[str]) -> None:
    with patch_print():
        print("plain")
    assert capsys.readouterr().out == "plain\n"


def test_worker_logger_and_job_configuration() -> None:
    worker = BaseWorker("pool", name="My Worker")
    assert get_worker_logger(worker).name == "jupyter_orch.workers.base.my worker"
    worker.backend_id = "w1"
    assert get_worker_logger(worker).extra == {"worker_id": "w1"}  # type: ignore[union-attr]
    config = BaseJobConfiguration()
    run = MagicMock(id="r1")
    run.name = "brave-fox"
    config.prepare_for_flow_run(run)
    assert config.env["PREFECT__FLOW_RUN_ID"] == "r1" and config.name == "brave-fox"


def test_temporary_console_width() -> None:
    console = MagicMock(width=80, _width=80)
    with temporary_console_width(console, 10):
        assert console._width == 10
    assert console._width == 80


def test_missing_flow_warning_points_at_the_logging_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("jupyter_orch.logging.handlers.APILogWorker", MagicMock())
    logger = logging.getLogger("tests.missing_flow")
    handler = APILogHandler()
    logger.addHandler(handler)
    try:
        with pytest.warns(UserWarning) as caught:
            logger.warning("lost")
            line = sys._getframe().f_lineno - 1
    finally:
        logger.removeHandler(handler)
    assert caught.pop().lineno == line


def test_secrets_are_masked_inside_collections() -> None:
    record = _record("x")
    record.msg = {"k": ["api_key: s3cr3t-key", {"s3cr3t-key": 1}]}  # type: ignore[assignment]
    with temporary_settings({PREFECT_API_KEY: "s3cr3t-key"}):
        ObfuscateApiKeyFilter().filter(record)
    assert record.msg == {"k": ["api_key: ********", {"********": 1}]}


def test_json_formatter_describes_the_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "m", None, sys.exc_info())
    info = json.loads(JsonFormatter().format(record))["exc_info"]
    assert info["type"] == "ValueError" and info["message"] == "boom" and info["traceback"]


def test_run_logger_outside_a_run_or_with_a_wrong_context() -> None:
    with pytest.raises(MissingContextError, match="no active flow or task run context"):
        get_run_logger()
    with pytest.raises(TypeError, match="Received unexpected type 'str' for context."):
        get_run_logger("not a context")  # type: ignore[arg-type]


def test_get_logger_logs_info_to_its_handlers() -> None:
    stream = io.StringIO()
    logger = get_logger(uuid.uuid4().hex)
    logger.handlers = [PrefectConsoleHandler(stream=stream)]
    logger.info("DROP TABLE [dbo].[SomeTable];")
    assert "DROP TABLE [dbo].[SomeTable];" in stream.getvalue()
    assert get_logger("").name == get_logger().name == "jupyter_orch"


def test_api_key_is_masked_in_what_loggers_record(caplog: pytest.LogCaptureFixture) -> None:
    with temporary_settings({PREFECT_API_KEY: "hush-hush-key"}), caplog.at_level(logging.INFO):
        get_logger("masking").info("key: %s", "hush-hush-key")
    assert "hush-hush-key" not in caplog.text and "key: ********" in caplog.text


def test_a_read_log_dumps_as_pydantic_does() -> None:
    run_id = uuid.uuid4()
    log = Log(
        name="n",
        level=10,
        message="m",
        flow_run_id=run_id,
        timestamp=datetime(2024, 1, 2, tzinfo=timezone.utc),
    )
    made = LogCreate(name="n", level=10, message="m", flow_run_id=run_id, timestamp=log.timestamp)
    assert log.model_dump(include={"flow_run_id", "timestamp", "name"}, mode="json") == made.model_dump(
        include={"flow_run_id", "timestamp", "name"}, mode="json"
    )
    assert log.model_dump(exclude={"message"})["flow_run_id"] == run_id
