"""Prefect's `prefect.docker.docker_image.DockerImage`, refused by name: work pools here run
processes (deploy with `work_pool_name=` and no image)."""

from __future__ import annotations

from typing import Any


class DockerImage:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ValueError("Docker images are not provided: work pools run processes (deploy without image=)")


__all__ = ["DockerImage"]
