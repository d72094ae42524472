"""`async def` tests and fixtures without an asyncio pytest plugin: flows and tasks are often
coroutines, and a user's (or Prefect's) tests of them are too. When neither pytest-asyncio nor
anyio (nor pytest-jupyter's runner) takes a coroutine test, the plugin runs it, and its async
fixtures, on one event loop kept for the session (so a session fixture's objects stay usable)."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

import pytest

_loop: asyncio.AbstractEventLoop | None = None
_WRAPPED = "_jupyter_orch_sync_wrapper"
#: plugins that run every coroutine test themselves (anyio runs only those marked `anyio`)
OTHER_RUNNERS = ("asyncio", "pytest_jupyter.jupyter_core")


def session_loop() -> asyncio.AbstractEventLoop:
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    return _loop


def close_loop() -> None:
    global _loop
    if _loop is not None and not _loop.is_closed():
        _loop.run_until_complete(_loop.shutdown_asyncgens())
        _loop.close()
    _loop = None


def handled_elsewhere(config: pytest.Config, node: Any = None) -> bool:
    """Whether another plugin runs coroutine tests (then this one stays out of the way)."""
    manager = config.pluginmanager
    if any(manager.hasplugin(name) for name in OTHER_RUNNERS):
        return True
    return node is not None and any(
        node.get_closest_marker(name) for name in ("asyncio", "anyio", "gen_test")
    )


def run_test(item: pytest.Function) -> bool:
    """Run a coroutine test function on the session loop; False if it is not one."""
    if not inspect.iscoroutinefunction(item.obj) or handled_elsewhere(item.config, item):
        return False
    args = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
    session_loop().run_until_complete(item.obj(**args))
    return True


def _sync_fixture(func: Callable[..., Any]) -> Callable[..., Any]:
    """A plain (generator) function that runs the async (generator) fixture `func` on the loop."""
    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            agen = func(*args, **kwargs)
            loop = session_loop()
            yield loop.run_until_complete(agen.__anext__())
            try:
                loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                pass

        setattr(gen_wrapper, _WRAPPED, True)
        return gen_wrapper

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return session_loop().run_until_complete(func(*args, **kwargs))

    setattr(wrapper, _WRAPPED, True)
    return wrapper


def adapt_fixture(fixturedef: Any, config: pytest.Config) -> None:
    """Make an async fixture a sync one before pytest calls it (once per fixture definition)."""
    func = fixturedef.func
    if getattr(func, _WRAPPED, False) or handled_elsewhere(config):
        return
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
        fixturedef.func = _sync_fixture(func)
