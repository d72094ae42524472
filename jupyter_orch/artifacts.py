"""Artifacts, as Prefect's `prefect.artifacts`: markdown, links, tables, images, progress and
HTML pages (rich), recorded with the current flow or task run (or with no run outside one);
`acreate_*` variants for async code; `Artifact` and its kinds as classes."""

from jupyter_orch.engine.artifact_classes import (
    Artifact,
    ArtifactRecord,
    ImageArtifact,
    LinkArtifact,
    MarkdownArtifact,
    ProgressArtifact,
    RichArtifact,
    TableArtifact,
)
from jupyter_orch.engine.artifacts import (
    acreate_image_artifact,
    acreate_link_artifact,
    acreate_markdown_artifact,
    acreate_progress_artifact,
    acreate_rich_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
    create_image_artifact,
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_rich_artifact,
    create_table_artifact,
    update_progress_artifact,
)

__all__ = [
    "Artifact",
    "ArtifactRecord",
    "ImageArtifact",
    "LinkArtifact",
    "MarkdownArtifact",
    "ProgressArtifact",
    "RichArtifact",
    "TableArtifact",
    "acreate_image_artifact",
    "acreate_link_artifact",
    "acreate_markdown_artifact",
    "acreate_progress_artifact",
    "acreate_rich_artifact",
    "acreate_table_artifact",
    "aupdate_progress_artifact",
    "create_image_artifact",
    "create_link_artifact",
    "create_markdown_artifact",
    "create_progress_artifact",
    "create_rich_artifact",
    "create_table_artifact",
    "update_progress_artifact",
]
