"""Worker fixtures: a real worker polling the pool "default" of the test database in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from jupyter_orch.client import local_client
from jupyter_orch.workers.worker import Worker


@pytest.fixture
def worker(orch_env: str) -> Iterator[Worker]:
    w = Worker(
        pool="default",
        client=local_client(orch_env),
        poll_interval=0.1,
        heartbeat_interval=0.3,
        shutdown_grace=1,
    )
    stop = threading.Event()
    t = threading.Thread(target=w.run, args=(stop,), daemon=True)
    t.start()
    yield w
    stop.set()
    t.join(15)
