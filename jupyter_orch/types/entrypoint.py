"""Prefect's `prefect.types.entrypoint.EntrypointType`: how a deployment names its flow."""

from __future__ import annotations

import enum


class EntrypointType(enum.Enum):
    FILE_PATH = "file_path"  # "path/to/file.py:function"
    MODULE_PATH = "module_path"  # "package.module.function"


__all__ = ["EntrypointType"]
