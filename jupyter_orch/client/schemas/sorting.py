"""Prefect's `prefect.client.schemas.sorting`: the orders reads take (each value is its name)."""

from __future__ import annotations

import enum


def _orders(name: str, members: str) -> type[enum.Enum]:
    return enum.Enum(name, [(m, m) for m in members.split()], type=str, module=__name__)  # type: ignore[return-value]


FlowRunSort = _orders(
    "FlowRunSort",
    "ID_DESC START_TIME_ASC START_TIME_DESC EXPECTED_START_TIME_ASC EXPECTED_START_TIME_DESC NAME_ASC "
    "NAME_DESC NEXT_SCHEDULED_START_TIME_ASC END_TIME_DESC",
)
TaskRunSort = _orders(
    "TaskRunSort", "ID_DESC EXPECTED_START_TIME_ASC EXPECTED_START_TIME_DESC NAME_ASC NAME_DESC"
)
LogSort = _orders("LogSort", "TIMESTAMP_ASC TIMESTAMP_DESC")
ArtifactSort = _orders("ArtifactSort", "CREATED_DESC UPDATED_DESC ID_DESC KEY_DESC KEY_ASC")

__all__ = ["ArtifactSort", "FlowRunSort", "LogSort", "TaskRunSort"]
