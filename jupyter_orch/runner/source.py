"""Where a deployed flow's code comes from (`Flow.from_source`, `RunnerDeployment.from_storage`):
a local directory (used in place), a git repository on this machine (cloned), or a storage object
or block (its code pulled into a directory kept for this process); a remote URL is a clear error
(see `runner.storage`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from jupyter_orch.entrypoints import load_entrypoint
from jupyter_orch.runner import storage


def _storage_of(source: Any) -> Any:
    """The RunnerStorage for `from_source`'s `source` (text or path, storage object, or block)."""
    if isinstance(source, (str, Path)):
        return storage.create_storage_from_source(str(source))  # by module attribute: patchable
    if isinstance(source, storage.RunnerStorage):
        return source
    if hasattr(source, "get_directory"):
        return storage.BlockStorageAdapter(source)
    raise TypeError(
        f"Unsupported source type {type(source).__name__!r}. Pass a local directory, a file:// git "
        "URL or a storage object (LocalStorage, GitRepository, a block with get_directory)."
    )


def load_from_source(source: Any, entrypoint: str) -> Any:
    """The flow named by `entrypoint` ("path/to/file.py:flow_function") in `source`: a local
    directory (used in place), a local git repository (cloned), a storage object or block (its code
    pulled into a directory kept for this process), remembered as coming from there so its
    deployments run it from there."""
    where = _storage_of(source)
    if not isinstance(where, storage.LocalStorage):
        where.set_base_path(Path(tempfile.mkdtemp(prefix="jupyter-orch-source-")))
        storage.run_pull(where)
    root = Path(where.destination).expanduser().resolve()
    if not root.is_dir():
        raise ValueError(f"from_source: {str(source)!r} is not a directory")
    file, _, name = entrypoint.rpartition(":")
    if not file.endswith(".py") or not name:
        raise ValueError(f"entrypoint {entrypoint!r} must look like 'path/to/file.py:flow_function'")
    if not (root / file).resolve().is_relative_to(root):
        raise ValueError(f"entrypoint {entrypoint!r} points outside the source directory")
    if not (root / file).is_file():
        raise ValueError(f"entrypoint {entrypoint!r}: no file {file} in {root}")
    obj = load_entrypoint(entrypoint, str(root))
    if not hasattr(obj, "to_deployment"):
        raise TypeError(f"entrypoint {entrypoint!r} is not a flow (decorate it with @flow)")
    obj.source = (str(root), entrypoint)
    obj._storage, obj._entrypoint = where, entrypoint  # Prefect's names: deployments carry them
    return obj
