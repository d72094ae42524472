"""Prefect's artifact classes: `Artifact(type=..., key=..., data=...).create()`, `Artifact.get(key)`,
`Artifact.get_or_create(...)` and the kinds (`MarkdownArtifact`, `LinkArtifact`, `TableArtifact`,
`ProgressArtifact`, `ImageArtifact`), each formatting its fields into the stored `data`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from jupyter_orch.client import ApiError
from jupyter_orch.client.schemas.artifacts import Artifact as ArtifactRecord
from jupyter_orch.engine import artifacts as _functions
from jupyter_orch.engine.context import flow_run_ctx, task_run_ctx


class Artifact(BaseModel):
    """An artifact to create: its type, optional key and description, and data."""

    type: str | None = None
    key: str | None = None
    description: str | None = None
    data: Any = None

    def format(self, _sync: bool | None = None) -> Any:
        """The data as stored: JSON text of `data` (subclasses build it from their own fields)."""
        return self.data if isinstance(self.data, str) else json.dumps(self.data)

    async def aformat(self) -> Any:
        return self.format()

    def create(self, client: Any = None, _sync: bool | None = None) -> ArtifactRecord:
        """Record it for the current run (or with no run outside one)."""
        data = self.format()
        artifact_id = _functions.create_artifact(self.type or "markdown", data, self.key, self.description)
        task_ctx, flow_ctx = task_run_ctx.get(), flow_run_ctx.get()
        flow_run_id = task_ctx.flow_run_id if task_ctx else (flow_ctx.flow_run_id if flow_ctx else None)
        return ArtifactRecord(
            id=artifact_id,
            key=self.key,
            type=self.type or "markdown",
            description=self.description,
            data=data,
            flow_run_id=flow_run_id,
            task_run_id=task_ctx.task_run_id if task_ctx else None,
            created=datetime.now().astimezone(),
        )

    async def acreate(self, client: Any = None) -> ArtifactRecord:
        return await _functions._in_thread(self.create)

    @classmethod
    def get(
        cls, key: str | None = None, client: Any = None, _sync: bool | None = None
    ) -> ArtifactRecord | None:
        """The newest artifact with `key`, or None."""
        if not key:
            return None
        try:
            return ArtifactRecord(**_functions.api_request("GET", f"artifacts/{key}/latest"))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    @classmethod
    async def aget(cls, key: str | None = None, client: Any = None) -> ArtifactRecord | None:
        return await _functions._in_thread(cls.get, key)

    @classmethod
    def get_or_create(
        cls,
        key: str | None = None,
        description: str | None = None,
        data: Any = None,
        client: Any = None,
        **kwargs: Any,
    ) -> tuple[ArtifactRecord, bool]:
        """The newest artifact with `key` (and False), or a new one made from the arguments
        (and True)."""
        existing = cls.get(key)
        if existing is not None:
            return existing, False
        return cls(key=key, description=description, data=data, **kwargs).create(), True

    @classmethod
    async def aget_or_create(cls, *args: Any, **kwargs: Any) -> tuple[ArtifactRecord, bool]:
        """`get_or_create` for async code."""
        return await _functions._in_thread(cls.get_or_create, *args, **kwargs)


class MarkdownArtifact(Artifact):
    type: str | None = "markdown"
    markdown: str = ""

    def format(self, _sync: bool | None = None) -> str:
        return self.markdown


class LinkArtifact(Artifact):
    type: str | None = "markdown"
    link: str = ""
    link_text: str | None = None

    def format(self, _sync: bool | None = None) -> str:
        return _functions.link_markdown(self.link, self.link_text)


class TableArtifact(Artifact):
    type: str | None = "table"
    table: dict[str, list[Any]] | list[dict[str, Any]] | list[list[Any]] = []

    def format(self, _sync: bool | None = None) -> Any:
        return _functions.table_data(self.table)


class ProgressArtifact(Artifact):
    type: str | None = "progress"
    progress: float = 0.0

    def format(self, _sync: bool | None = None) -> float:
        return _functions.progress_data(self.progress)


class ImageArtifact(Artifact):
    type: str | None = "image"
    image_url: str = ""

    def format(self, _sync: bool | None = None) -> str:
        return self.image_url


class RichArtifact(Artifact):
    """An HTML page, shown in an iframe with the `sandbox` permissions and the `csp` policy."""

    type: str | None = "rich"
    html: str = ""
    sandbox: list[str] | None = None
    csp: str | None = None

    def format(self, _sync: bool | None = None) -> dict[str, Any]:
        return _functions.rich_data(self.html, self.sandbox, self.csp)
