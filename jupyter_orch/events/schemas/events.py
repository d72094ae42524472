"""Prefect's event model (`prefect.events.schemas.events`): an `Event` names what happened
(`event`), to which resource (`resource`, labels with a `prefect.resource.id`), with related
resources, a payload and when it occurred. jupyter-orch keeps no event store: these are what
`emit_event` answers, for code written against Prefect's API."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, Field, RootModel, model_validator


class Resource(RootModel[dict[str, str]]):
    """A resource's labels; `id` is its `prefect.resource.id` label (required)."""

    @model_validator(mode="after")
    def _has_id(self) -> Resource:
        if "prefect.resource.id" not in self.root:
            raise ValueError("a resource needs a 'prefect.resource.id' label")
        return self

    @property
    def id(self) -> str:
        return self.root["prefect.resource.id"]

    def get(self, label: str, default: str | None = None) -> str | None:
        return self.root.get(label, default)

    def __getitem__(self, label: str) -> str:
        return self.root[label]


class RelatedResource(Resource):
    """A resource related to an event, with its `prefect.resource.role` label."""

    @property
    def role(self) -> str | None:
        return self.root.get("prefect.resource.role")


class Event(BaseModel):
    """Something that happened to a resource."""

    occurred: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    event: str
    resource: Resource
    related: list[RelatedResource] = Field(default_factory=list)
    payload: dict[str, Any] = Field(default_factory=dict)
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    follows: uuid.UUID | None = None


__all__ = ["Event", "RelatedResource", "Resource"]
