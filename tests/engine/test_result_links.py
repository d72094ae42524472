"""Data edges from returned values, as Prefect links them: a value a task returned, or an item of
the list/tuple/set/dict it returned (so unpacking keeps the edge), passed to a later task is that
task's input from the first; values Python shares (None, booleans, Ellipsis, NotImplemented, small
integers) never are. Recorded on SQLite and PostgreSQL."""

from __future__ import annotations

from jupyter_orch import flow, task
from jupyter_orch.client.orchestration import get_client


def test_unpacked_results_link_and_shared_singletons_do_not(orch_env: str) -> None:
    @task
    def produce() -> tuple:
        return 2, [1, 2, 3], "text", ..., NotImplemented

    @task
    def use(value: object) -> object:
        return value

    @flow
    def unpacking():
        made = produce(return_state=True)
        small, items, text, ellipsis, not_impl = made.result()
        return made, [use(v, return_state=True) for v in (small, items, text, ellipsis, not_impl)]

    made, uses = unpacking()
    client = get_client(sync_client=True)
    inputs = [client.read_task_run(s.state_details.task_run_id).task_inputs["value"] for s in uses]
    upstream = made.state_details.task_run_id
    assert [[ref.id for ref in refs] for refs in inputs] == [[], [upstream], [upstream], [], []]
