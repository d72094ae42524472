"""Loading the object an entrypoint names ("file.py:name" or "package.module:name").

Core, below everything that needs it: the runner checks a `from_source` entrypoint with it and the
engine's run process loads the flow of a claimed run with it, so neither imports the other.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

_LOADED: dict[tuple[str, str | None], Any] = {}


def load_entrypoint(entrypoint: str, path: str | None) -> Any:
    """The object named by "file.py:name" (relative to `path`) or "package.module:name".

    Loaded once per process: a prepared run imports its flow ahead of its start time and the run
    itself then finds it here."""
    key = (entrypoint, path)
    if key not in _LOADED:
        _LOADED[key] = _load(entrypoint, path)
    return _LOADED[key]


def _load(entrypoint: str, path: str | None) -> Any:
    target, _, attr = entrypoint.rpartition(":")
    if not target and "." in entrypoint:  # Prefect's module path form: package.module.name
        target, _, attr = entrypoint.rpartition(".")
    if not target or not attr:
        raise ValueError(f"entrypoint {entrypoint!r} must look like 'path/to/file.py:flow_function'")
    if target.endswith(".py"):
        file = Path(path or ".", target)
        spec = importlib.util.spec_from_file_location(f"__jupyter_orch_{file.stem}", file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj
