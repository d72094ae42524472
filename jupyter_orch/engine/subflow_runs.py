"""A subflow's stand-in: the task run that represents a subflow run in its parent flow run
(Prefect's "parent task run", whose state follows the subflow's), and what a retry of the parent
does with a subflow called again there, as Prefect's engine does. The call is the same one when
it has the same task key and dynamic key (the keys count again from 0 on each attempt):

- the earlier attempt's call completed: its subflow run is not run again; the call answers that
  run's final state (its result), and the stand-in stays as it was;
- it ended otherwise (failed, crashed, cancelled): the same stand-in task run goes back to
  Pending and a new subflow run is created for it (the earlier one keeps its state).
"""

from __future__ import annotations

from typing import Any

from jupyter_orch.engine.context import parent_task_input
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.engine.tasks import Task
from jupyter_orch.orchestration import rules
from jupyter_orch.states import Pending


def make_stand_in(child: Any) -> tuple[TaskRunEngine, Any]:
    """The stand-in of `child` (a subflow's `FlowRunEngine`, which stands above: it calls this),
    Pending, and the engine of the earlier attempt's completed run of this call (then nothing is
    proposed: that run's state is the call's), else None."""
    task = Task(child.flow.fn, name=child.flow.name, version=child.flow.version)
    task.task_key = f"subflow:{child.flow.name}"[:255]
    stand_in = TaskRunEngine(task, child.parent, {}, None)
    parent = child.parent.engine  # None: a context no engine runs
    # only a parent that may run again remembers its calls (a run of 100,000 subflows keeps none)
    calls = parent.subflows if parent is not None and parent.flow.retries else None
    key = (task.task_key, stand_in.dynamic_key)
    earlier = calls.get(key) if calls is not None else None
    if earlier is not None and earlier[0].state is not None and earlier[0].state.is_final():
        stand_in = earlier[0]
        if stand_in.state.is_completed():
            return stand_in, earlier[1]
        stand_in.state, stand_in.times = None, rules.RunTimes()  # run again: Pending once more
    if calls is not None:
        calls[key] = (stand_in, child)
    # called inside a task run of the parent: that run is the stand-in's parent (Prefect's)
    stand_in.task_inputs = {**child.task_inputs, **parent_task_input(child.parent.flow_run_id)}
    stand_in.propose(Pending())
    return stand_in, None


__all__ = ["make_stand_in"]
