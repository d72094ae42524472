"""Closed sets of names the store takes (a pool's type, a channel, an artifact's or deployment's
kind) are refused in the same words, naming the field and listing what is accepted, and nothing is
written (real SQLite file and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Artifact, Deployment, NotificationPolicy, WorkPool
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.store import deployments, logs, notifications, work_pools

CASES: list[tuple[str, Callable[[Session], Any], Any, str, str]] = [
    ("pool type", lambda s: work_pools.create_work_pool(s, "p", type="docker"), WorkPool, "type", "process"),
    (
        "channel",
        lambda s: notifications.create_policy(s, "n", "pager", {}),
        NotificationPolicy,
        "channel",
        "webhook, slack, email, ui",
    ),
    (
        "artifact type",
        lambda s: logs.create_artifact(s, type="video", data=None),
        Artifact,
        "type",
        "markdown, table, link, notebook, progress, image, rich",
    ),
    (
        "deployment kind",
        lambda s: deployments.upsert_deployment(s, flow_name="f", name="d", kind="shell"),
        Deployment,
        "kind",
        "python, notebook",
    ),
    (
        "catchup",
        lambda s: deployments.upsert_deployment(s, flow_name="f", name="d", catchup="never"),
        Deployment,
        "catchup",
        "skip, once, all",
    ),
]


@pytest.mark.parametrize(
    ("call", "model", "field", "listed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_name_outside_its_set_is_invalid_naming_the_field(
    db_url: str, call: Callable[[Session], Any], model: Any, field: str, listed: str
) -> None:
    with session_scope(db_url) as s, pytest.raises(Invalid) as caught:
        call(s)
    assert caught.value.field == field
    assert caught.value.message == f"{field} must be one of {listed}"
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(model)) == 0
