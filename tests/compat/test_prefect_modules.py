"""Prefect's module paths that code renamed from Prefect imports: flows and entrypoints,
hashing, callables (parameter schemas), collections, schedules, and the names refused by name."""

from __future__ import annotations

import hashlib
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from jupyter_orch.client.schemas.schedules import CronSchedule, IntervalSchedule, RRuleSchedule
from jupyter_orch.deployments.runner import RunnerDeployment, RunnerStorage
from jupyter_orch.docker.docker_image import DockerImage
from jupyter_orch.events import DeploymentEventTrigger, Posture
from jupyter_orch.exceptions import MissingFlowError, ScriptError
from jupyter_orch.flows import (
    Flow,
    flow,
    load_flow_arguments_from_entrypoint,
    load_flow_from_entrypoint,
    load_function_and_convert_to_flow,
    safe_load_flow_from_entrypoint,
)
from jupyter_orch.schedules import Cron, Interval, RRule
from jupyter_orch.states import PausedRun
from jupyter_orch.types.entrypoint import EntrypointType
from jupyter_orch.utilities.callables import parameter_schema
from jupyter_orch.utilities.collections import dict_to_flatdict, flatdict_to_dict
from jupyter_orch.utilities.hashing import file_hash, hash_objects, stable_hash

SCRIPT = textwrap.dedent(
    """
    from jupyter_orch import flow

    @flow(name="etl", version="3", retries=2)
    def etl(day: str = "2026-01-01"):
        return day

    def plain(x: int = 1):
        return x * 2
    """
)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "etl_flows.py"
    path.write_text(SCRIPT)
    return path


def test_a_flow_loads_from_its_entrypoint_and_a_plain_function_converts(script: Path) -> None:
    loaded = load_flow_from_entrypoint(f"{script}:etl")
    assert isinstance(loaded, Flow) and loaded.name == "etl" and loaded() == "2026-01-01"
    converted = load_function_and_convert_to_flow(f"{script}:plain")
    assert isinstance(converted, Flow) and converted(x=4) == 8
    with pytest.raises(MissingFlowError):
        load_flow_from_entrypoint(f"{script}:plain")
    with pytest.raises(MissingFlowError):
        load_flow_from_entrypoint(f"{script}:nothing_here")
    with pytest.raises(ValueError, match="Could not find flow 'nothing_here'"):  # Prefect's
        safe_load_flow_from_entrypoint(f"{script}:nothing_here")


def test_a_script_that_raises_loads_as_a_placeholder_or_is_a_script_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken_flows.py"
    bad.write_text(
        "import json\nfrom not_a_module import nothing\nfrom jupyter_orch import flow\n"
        "raise RuntimeError('no')\n\n"
        "@flow(name='dumper', description='Says it in JSON')\ndef f(x=1):\n    return json.dumps(x)\n"
    )
    with pytest.raises(ScriptError) as info:
        load_flow_from_entrypoint(f"{bad}:f", use_placeholder_flow=False)
    assert isinstance(info.value.user_exc, ModuleNotFoundError)
    placeholder = load_flow_from_entrypoint(f"{bad}:f")
    assert placeholder.name == "dumper" and placeholder.description == "Says it in JSON"
    assert placeholder(x=[2]) == "[2]"  # the function alone, with the imports that worked
    safe = safe_load_flow_from_entrypoint(f"{bad}:f")
    assert safe is not None and safe.name == "dumper"


def test_flow_arguments_and_safe_loads_evaluate_what_the_file_defines(tmp_path: Path, caplog) -> None:
    path = tmp_path / "dynamic_flows.py"
    path.write_text(
        "import enum\nfrom missing_package import helper, Missing\nfrom jupyter_orch import flow\n"
        "VERSION = '1.0'\n\nclass Color(enum.Enum):\n    RED = 'red'\n\n"
        "@flow(name=f'etl-{VERSION}')\ndef etl(color: Color = Color.RED, other: Missing = helper()):\n"
        "    return color, other\n\n@flow(name=helper())\ndef broken():\n    pass\n"
    )
    assert load_flow_arguments_from_entrypoint(f"{path}:etl", {"name"}) == {"name": "etl-1.0"}
    assert load_flow_arguments_from_entrypoint(f"{path}:broken", {"name"}) == {"name": "broken"}
    assert "Failed to parse @flow argument: `name=helper()`" in caplog.text
    loaded = safe_load_flow_from_entrypoint(f"{path}:etl")
    assert loaded is not None and loaded.name == "etl-1.0"
    color, other = loaded()  # what cannot be evaluated: no annotation, a None default
    assert color.value == "red" and other is None
    assert safe_load_flow_from_entrypoint(f"{path}:broken") is None


def test_flows_default_to_the_retries_setting() -> None:
    from jupyter_orch.settings import PREFECT_FLOW_DEFAULT_RETRIES, temporary_settings

    with temporary_settings(updates={PREFECT_FLOW_DEFAULT_RETRIES: "2"}):
        assert flow(lambda: 1).retries == 2
        assert flow(retries=0)(lambda: 1).retries == 0
    assert flow(lambda: 1).retries == 0


def test_flow_arguments_are_read_without_running_the_script(script: Path) -> None:
    assert load_flow_arguments_from_entrypoint(f"{script}:etl") == {
        "name": "etl",
        "version": "3",
        "retries": 2,
    }
    assert load_flow_arguments_from_entrypoint(f"{script}:plain", {"name"}) == {"name": "plain"}


def test_parameter_schema_takes_descriptions_from_the_docstring() -> None:
    def fn(x: int, y: str = "a"):
        """Do it.

        Args:
            x: how many
                (at least one)
            y (str): a label
        """

    schema = parameter_schema(flow(fn))
    assert schema.properties["x"]["description"] == "how many (at least one)"
    assert schema.properties["y"]["description"] == "a label"
    assert schema.required == ["x"]


def test_hashing_and_flat_dicts(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"abc")
    assert file_hash(str(path)) == hashlib.md5(b"abc").hexdigest()
    assert stable_hash("a", b"b") == stable_hash("ab")
    assert hash_objects({"a": 1}) == hash_objects({"a": 1}) != hash_objects({"a": 2})
    assert hash_objects(object()) is not None  # cloudpickle when there is no JSON
    nested = {"a": {"b": 1, "c": {"d": 2}}, "e": 3}
    assert dict_to_flatdict(nested) == {("a", "b"): 1, ("a", "c", "d"): 2, ("e",): 3}
    assert flatdict_to_dict(dict_to_flatdict(nested)) == nested


def test_schedules_and_names_refused_by_name() -> None:
    assert Cron("0 6 * * *", timezone="UTC") == CronSchedule(cron="0 6 * * *", timezone="UTC")
    assert Interval(timedelta(hours=1)) == IntervalSchedule(interval=3600.0)
    for refused in (lambda: RRule("FREQ=DAILY"), lambda: RRuleSchedule(rrule="FREQ=DAILY"),
                    lambda: DockerImage("img"), lambda: DeploymentEventTrigger()):  # fmt: skip
        with pytest.raises(ValueError, match="not provided"):
            refused()
    assert Posture.Reactive.value == "Reactive" and EntrypointType.FILE_PATH.value == "file_path"
    assert RunnerDeployment.__name__ == "RunnerDeployment" and RunnerStorage.__name__ == "RunnerStorage"
    assert issubclass(PausedRun, Exception)


def test_schemas_under_prefects_server_and_client_paths() -> None:
    from jupyter_orch.client.schemas.objects import (
        ConcurrencyLimitConfig,
        TaskRunResult,
        Worker,
        WorkerStatus,
    )
    from jupyter_orch.client.schemas.sorting import FlowRunSort
    from jupyter_orch.results import ResultRecord
    from jupyter_orch.server.schemas import core, filters, sorting

    assert core.TaskRunResult is TaskRunResult and sorting.FlowRunSort is FlowRunSort
    assert filters.FlowRunFilter.__name__ == "FlowRunFilter"
    assert FlowRunSort.EXPECTED_START_TIME_DESC.value == "EXPECTED_START_TIME_DESC"
    assert ConcurrencyLimitConfig(limit=2).collision_strategy == "ENQUEUE"
    assert Worker(name="w").status is WorkerStatus.OFFLINE
    record = ResultRecord(result={"a": 1})
    assert ResultRecord.deserialize(record.serialize()).result == {"a": 1}
