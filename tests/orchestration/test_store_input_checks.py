"""The store refuses bad names in the same words wherever it takes them, naming the field, and
writes nothing (real SQLite file and PostgreSQL): a name outside a closed set (a pool's type, a
channel, an artifact's or deployment's kind) lists what is accepted; an empty name, or a '/' in one
that stands in a path, says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import (
    Artifact,
    ConcurrencyLimit,
    Deployment,
    NotificationPolicy,
    WorkPool,
    WorkQueue,
)
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.store import concurrency, deployments, logs, notifications, work_pools

EMPTY = "must be a non-empty string"
SLASH = f"{EMPTY} without '/'"
ARTIFACT_TYPES = "markdown, table, link, notebook, progress, image, rich"


def _one_of(choices: str) -> str:
    return f"must be one of {choices}"


def _deploy(**fields: Any) -> Callable[[Session], Any]:
    return lambda s: deployments.upsert_deployment(s, **{"flow_name": "f", "name": "d", **fields})


#: (case, the call, the table it must leave alone, the field named, what the message says of it)
CASES: list[tuple[str, Callable[[Session], Any], Any, str, str]] = [
    (
        "pool type",
        lambda s: work_pools.create_work_pool(s, "p", type="docker"),
        WorkPool,
        "type",
        _one_of("process"),
    ),
    (
        "channel",
        lambda s: notifications.create_policy(s, "n", "pager"),
        NotificationPolicy,
        "channel",
        _one_of("webhook, slack, email, ui"),
    ),
    (
        "artifact type",
        lambda s: logs.create_artifact(s, type="video"),
        Artifact,
        "type",
        _one_of(ARTIFACT_TYPES),
    ),
    ("deployment kind", _deploy(kind="shell"), Deployment, "kind", _one_of("python, notebook")),
    ("catchup", _deploy(catchup="never"), Deployment, "catchup", _one_of("skip, once, all")),
    ("pool name", lambda s: work_pools.create_work_pool(s, "a/b"), WorkPool, "name", SLASH),
    ("queue name", lambda s: work_pools.create_queue(s, "default", "  "), WorkQueue, "name", SLASH),
    ("limit tag", lambda s: concurrency.create_limit(s, " ", 1), ConcurrencyLimit, "tag", EMPTY),
    ("policy name", lambda s: notifications.create_policy(s, "", "ui"), NotificationPolicy, "name", EMPTY),
    ("deployment name", _deploy(name="x/y"), Deployment, "name", SLASH),
    ("flow name", _deploy(flow_name=7), Deployment, "flow_name", EMPTY),
]


@pytest.mark.parametrize(
    ("call", "model", "field", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_bad_name_is_invalid_naming_the_field_and_writes_nothing(
    db_url: str, call: Callable[[Session], Any], model: Any, field: str, says: str
) -> None:
    def count() -> int:
        with session_scope(db_url) as s:
            work_pools.ensure_default_pool(s)  # a queue is added to it
            return s.scalar(select(func.count()).select_from(model)) or 0

    before = count()
    with session_scope(db_url) as s, pytest.raises(Invalid) as caught:
        call(s)  # the session commits: whatever the call wrote before refusing would stay
    assert (caught.value.field, caught.value.message) == (field, f"{field} {says}")
    assert count() == before
