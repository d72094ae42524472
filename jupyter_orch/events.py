"""Prefect's `prefect.events` names for automations, refused by name: automations and event
triggers are not provided (runs' state changes are on the live event feed,
`jupyter_orch.client.events.EventWatcher`)."""

from __future__ import annotations

import enum
from typing import Any


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


__all__ = [
    "DeploymentCompoundTrigger",
    "DeploymentEventTrigger",
    "DeploymentSequenceTrigger",
    "EventTrigger",
    "Posture",
]
