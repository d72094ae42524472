"""Typed input a paused flow run waits for (Prefect's `prefect.input`).

class Approval(RunInput):
    approved: bool
    note: str = ""

answer = pause_flow_run(wait_for_input=Approval, timeout=600)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

__all__ = ["RunInput"]


class RunInput(BaseModel):
    """A pydantic model of what a person (the UI's resume form) or a program sends a paused run."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def with_initial_data(cls, description: str | None = None, **kwargs: Any) -> type[RunInput]:
        """This model with new defaults (what the resume form shows filled in)."""
        fields: dict[str, Any] = {
            name: (field.annotation, kwargs.get(name, field.default))
            for name, field in cls.model_fields.items()
        }
        model = create_model(cls.__name__, __base__=cls, **fields)
        if description is not None:
            model.__doc__ = description
        return model
