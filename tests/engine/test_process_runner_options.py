"""ProcessPoolTaskRunner's options as Prefect 3's: the process-count setting, Prefect's
subprocess message processor factories (kept, copied by `duplicate`, fixed once started),
`duplicate` keeping a subclass's type, `cancel_all`; and `emit_event`, which answers Prefect's
`Event` (jupyter-orch stores no events)."""

from __future__ import annotations

import pytest

from jupyter_orch import flow, task
from jupyter_orch.events import emit_event
from jupyter_orch.events.schemas.events import Event
from jupyter_orch.settings import PREFECT_TASKS_RUNNER_PROCESS_POOL_MAX_WORKERS, temporary_settings
from jupyter_orch.task_runners import ProcessPoolTaskRunner


def _factory():
    return lambda kind, payload: (kind, payload)


def test_options_and_duplicates():
    with temporary_settings({PREFECT_TASKS_RUNNER_PROCESS_POOL_MAX_WORKERS: 3}):
        assert ProcessPoolTaskRunner()._max_workers == 3
    runner = ProcessPoolTaskRunner(max_workers=2, subprocess_message_processor_factories=[_factory])
    assert runner.duplicate().subprocess_message_processor_factories == (_factory,)

    class Compat(ProcessPoolTaskRunner):
        def __init__(self, max_workers=None):
            super().__init__(max_workers=max_workers)

    compat = Compat(max_workers=2)
    compat.set_subprocess_message_processor_factories([_factory])
    twin = compat.duplicate()
    assert (
        isinstance(twin, Compat)
        and twin == compat
        and twin.subprocess_message_processor_factories == (_factory,)
    )
    with runner, pytest.raises(RuntimeError, match="while task runner is started"):
        runner.subprocess_message_processor_factories = []


def test_runs_in_processes_and_cancel_all(records):
    @task
    def double(x: int) -> int:
        return 2 * x

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1, subprocess_message_processor_factories=[_factory]))
    def doubles():
        return [f.result() for f in double.map([1, 2])]

    assert doubles() == [2, 4]
    assert records.only_flow_run("doubles")["state_type"] == "COMPLETED"
    with ProcessPoolTaskRunner(max_workers=1) as runner:
        runner.cancel_all()
        assert runner._executor is None


def test_emit_event_answers_prefects_event():
    event = emit_event(
        event="etl.done",
        resource={"prefect.resource.id": "etl.table"},
        related=[{"prefect.resource.id": "etl.source", "prefect.resource.role": "source"}],
        payload={"rows": 3},
    )
    assert isinstance(event, Event) and event.resource.id == "etl.table"
    assert event.related[0].role == "source" and event.payload == {"rows": 3}
    with pytest.raises(ValueError, match="prefect.resource.id"):
        emit_event(event="etl.done", resource={"name": "x"})
