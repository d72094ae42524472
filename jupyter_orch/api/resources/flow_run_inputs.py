"""Resuming paused flow runs, and the inputs they wait for (Prefect's flow run input API)."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import Id, Params, Strict
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.store import flow_run_inputs as store

TAG = "flow_runs"
Key = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")


class ByRun(Params):
    id: Id


class ByRunKey(Params):
    id: Id
    key: str = Key


class ResumeIn(Strict):
    run_input: dict[str, Any] | None = Field(None, description="the input the pause waits for")


class InputIn(Strict):
    key: str = Key
    value: Any = Field(description="any JSON value")
    sender: str | None = Field(None, max_length=255)


def resume(session: Session, p: ByRun, body: ResumeIn) -> dict[str, Any]:
    return store.resume_flow_run(session, p.id, body.run_input).to_dict()


def create_input(session: Session, p: ByRun, body: InputIn) -> dict[str, Any]:
    return store.create_input(session, p.id, body.key, body.value, body.sender)


def read_input(session: Session, p: ByRunKey) -> dict[str, Any]:
    return store.read_input(session, p.id, p.key)


def delete_input(session: Session, p: ByRunKey) -> None:
    store.delete_input(session, p.id, p.key)


ROUTES = [
    Route(
        "POST",
        "/flow_runs/{id}/resume",
        resume,
        "Resume a paused or suspended flow run, with the input it waits for",
        TAG,
        params=ByRun,
        body=ResumeIn,
    ),
    Route(
        "POST",
        "/flow_runs/{id}/input",
        create_input,
        "Send a flow run a keyed input",
        TAG,
        params=ByRun,
        body=InputIn,
        status=201,
    ),
    Route("GET", "/flow_runs/{id}/input/{key}", read_input, "Read a flow run's input", TAG, params=ByRunKey),
    Route(
        "DELETE",
        "/flow_runs/{id}/input/{key}",
        delete_input,
        "Delete a flow run's input",
        TAG,
        params=ByRunKey,
        status=204,
    ),
]
