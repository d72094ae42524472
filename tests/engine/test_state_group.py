"""`StateGroup` and the exception a state stands for (`raise_state_exception`, sync and awaited),
as Prefect's `prefect.states` gives them."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_orch.exceptions import CancelledRun, CrashedRun, FailedRun
from jupyter_orch.states import (
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Running,
    StateGroup,
    raise_state_exception,
)


def test_state_group_counts():
    group = StateGroup([Failed(), Crashed(), Completed(), Running(), Running(), Cancelled()])
    assert group.fail_count == 2 and group.any_failed() and group.any_cancelled()
    assert not group.all_completed() and not group.all_final() and not group.any_paused()
    assert (
        group.counts_message()
        == "total=6, not_final=2, 'FAILED'=1, 'CRASHED'=1, 'COMPLETED'=1, 'RUNNING'=2, 'CANCELLED'=1"
    )
    assert StateGroup([Completed(), Completed()]).all_completed()


@pytest.mark.parametrize(
    "make, wrapper", [(Failed, FailedRun), (Crashed, CrashedRun), (Cancelled, CancelledRun)]
)
def test_raise_state_exception_rules(make, wrapper):
    with pytest.raises(ValueError, match="Test"):
        raise_state_exception(make(data=Failed(data=ValueError("Test"))))
    with pytest.raises(ValueError, match="Expected failed or crashed state got Completed"):
        raise_state_exception(make(data=Completed(data="x")))
    with pytest.raises(ValueError, match="none were failed"):
        raise_state_exception(make(data=[Completed(), Completed()]))
    with pytest.raises(wrapper, match="foo"):
        raise_state_exception(make(data="foo"))
    with pytest.raises(wrapper):
        raise_state_exception(make(message="why"))
    with pytest.raises(TypeError, match="int cannot be resolved into an exception"):
        raise_state_exception(make(data=2))
    assert raise_state_exception(Completed()) is None


def test_raise_state_exception_is_awaitable_in_a_coroutine():
    async def main() -> None:
        assert await raise_state_exception(Completed()) is None
        with pytest.raises(ValueError, match="inner"):
            await raise_state_exception(Failed(data=ValueError("inner")))

    asyncio.run(main())
