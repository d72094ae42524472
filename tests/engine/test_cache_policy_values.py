"""Cache policies as Prefect's values: configured policies add up unless their configurations
disagree, INPUTS hashes what STABLE_TRANSFORMS makes of a value, TASK_SOURCE reads a stored
`source_code` first and gives no key when there is no source, RUN_ID reads a run's description."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jupyter_orch import cache_policies
from jupyter_orch.cache_policies import INPUTS, RUN_ID, TASK_SOURCE, Inputs, TaskSource


def test_configured_policies_add_up_unless_they_disagree() -> None:
    locked = TASK_SOURCE.configure(lock_manager="locks", isolation_level="SERIALIZABLE", key_storage="here")
    both = INPUTS + locked
    assert (both.lock_manager, both.isolation_level, both.key_storage) == ("locks", "SERIALIZABLE", "here")
    assert INPUTS.configure() == INPUTS and INPUTS.configure() is not INPUTS
    with pytest.raises(ValueError, match="different storage locations"):
        both + TASK_SOURCE.configure(key_storage="elsewhere")
    with pytest.raises(ValueError, match="different lock implementations"):
        both + TASK_SOURCE.configure(lock_manager="other")


def test_inputs_hash_what_the_stable_transforms_make(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cache_policies.STABLE_TRANSFORMS, dict, lambda value: sorted(value))
    same = Inputs().compute_key(None, {"d": {"a": 1}}, {}) == Inputs().compute_key(None, {"d": {"a": 2}}, {})
    assert same  # only the keys of a dict count now
    assert Inputs().compute_key(None, {}, {}) is None  # no inputs: no key of its own


def test_task_source_reads_a_stored_source_first_and_gives_none_without_one() -> None:
    first = TaskSource().compute_key(SimpleNamespace(task=SimpleNamespace(source_code="def a(): 1")))
    second = TaskSource().compute_key(SimpleNamespace(task=SimpleNamespace(source_code="def a(): 2")))
    assert first and second and first != second
    built = SimpleNamespace(source_code=None, fn=eval("lambda: 1"))  # no file holds its source
    assert TaskSource().compute_key(SimpleNamespace(task=built)) is None
    assert TaskSource().compute_key(None) is None


def test_run_id_reads_the_flow_run_else_the_task_run() -> None:
    def key(flow_run_id: str | None, run_id: str) -> str | None:
        run = SimpleNamespace(id=run_id, flow_run_id=flow_run_id)
        return RUN_ID.compute_key(SimpleNamespace(task_run=run))

    assert key("f", "t") == "f" and key(None, "t") == "t" and RUN_ID.compute_key(None) is None
