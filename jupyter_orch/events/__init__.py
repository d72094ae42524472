"""Prefect's `prefect.events` names. Automations and event triggers are refused by name: they
are not provided (runs' state changes are on the live event feed,
`jupyter_orch.client.events.EventWatcher`). `emit_event` builds and answers Prefect's `Event`
(`jupyter_orch.events.schemas.events`) so code that emits events runs; jupyter-orch keeps no
event store, so the event is only logged at DEBUG on `jupyter_orch.events`."""

from __future__ import annotations

import enum
import logging
from datetime import datetime
from typing import Any

from jupyter_orch.events.schemas.events import Event


class Posture(str, enum.Enum):
    Reactive = "Reactive"
    Proactive = "Proactive"
    Metric = "Metric"


class _Trigger:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ValueError(f"{type(self).__name__}: automations and event triggers are not provided")


class DeploymentEventTrigger(_Trigger):
    pass


class DeploymentCompoundTrigger(_Trigger):
    pass


class DeploymentSequenceTrigger(_Trigger):
    pass


class EventTrigger(_Trigger):
    pass


def emit_event(
    event: str,
    resource: dict[str, str],
    occurred: datetime | None = None,
    related: list[dict[str, str]] | None = None,
    payload: dict[str, Any] | None = None,
    id: Any = None,
    follows: Any = None,
    **_kwargs: Any,
) -> Event:
    """Prefect's `emit_event`: the validated `Event` (a resource without a
    `prefect.resource.id` label is a ValueError, as Prefect's). Not stored or delivered here."""
    fields: dict[str, Any] = {
        "event": event,
        "resource": resource,
        "related": related or [],
        "payload": payload or {},
    }
    fields.update(
        {k: v for k, v in (("occurred", occurred), ("id", id), ("follows", follows)) if v is not None}
    )
    emitted = Event(**fields)
    logging.getLogger("jupyter_orch.events").debug(
        "event %s on %s (not stored)", emitted.event, emitted.resource.id
    )
    return emitted


__all__ = [
    "Event",
    "DeploymentCompoundTrigger",
    "DeploymentEventTrigger",
    "DeploymentSequenceTrigger",
    "EventTrigger",
    "Posture",
    "emit_event",
]
