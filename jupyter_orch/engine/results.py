"""Persisting results: values serialized to `$JUPYTER_ORCH_HOME/results/<key>`, to any fsspec URL
set in `JUPYTER_ORCH_RESULTS_URL` (s3://..., memory://...), or to a task's or flow's own
`result_storage` (a path, a URL, or the name of a saved storage configuration, opened with its
options and credentials).

A state keeps only the reference this returns; the reference format, the serializers and loading
it back live below the states, in `jupyter_orch.results`, so any process can load it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from jupyter_orch.results import SERIALIZER, dumps, saved_storage
from jupyter_orch.settings import get_settings
from jupyter_orch.version import __version__

RESULTS_URL_ENV = "JUPYTER_ORCH_RESULTS_URL"


def storage_base(storage: Any = None) -> str:
    """The base URL results go under: `storage` (a path, URL, or an object with a `basepath`),
    else `JUPYTER_ORCH_RESULTS_URL`, else the home's results directory."""
    if storage is not None:
        return resolve_storage(storage)
    url = os.environ.get(RESULTS_URL_ENV)
    if url:
        return url.rstrip("/")
    return str(get_settings().results_dir)


def resolve_storage(storage: Any) -> str:
    """A `result_storage` option as a base URL (a plain path is made absolute; a saved storage
    configuration's name gives its URL)."""
    saved = saved_storage(storage)
    if saved is not None:
        return saved.url.rstrip("/")
    base = getattr(storage, "basepath", storage)
    if isinstance(base, os.PathLike) or (isinstance(base, str) and "://" not in base):
        return os.path.abspath(os.path.expanduser(os.fspath(base))).rstrip("/")
    if isinstance(base, str):
        return base.rstrip("/")
    raise TypeError(f"result_storage must be a path or an fsspec URL, got {type(storage).__name__}")


def persist_result(
    value: Any, key: str | None = None, storage: Any = None, serializer: str = SERIALIZER
) -> dict[str, str]:
    """Write `value` under `key` (a fresh one by default); returns the reference for a state."""
    reference, write = prepare_result(value, key, storage, serializer)
    write()
    return reference


def prepare_result(
    value: Any, key: str | None = None, storage: Any = None, serializer: str = SERIALIZER
) -> tuple[dict[str, str], Callable[[], None]]:
    """`value` serialized now (an error says so at once), and the reference a state keeps with
    the call that writes it there: a run inside a transaction writes when that one commits."""
    import uuid  # lazy: uuid loads `platform`; only a persisted result needs a fresh key

    url = f"{storage_base(storage)}/{key or uuid.uuid4().hex}"
    payload = dumps(value, serializer)
    saved = saved_storage(storage)
    ref = {"storage_key": url, "serializer": serializer}
    if saved is not None:
        ref["storage"] = storage  # the loader opens it with the configuration's credentials
    return ref, lambda: _write(url, payload, saved.options if saved is not None else {})


def prepare_run_result(engine: Any, value: Any) -> tuple[dict[str, str] | None, Callable[[], None] | None]:
    """`prepare_result` for a task run (`engine`, a `TaskRunEngine`, its caller): a value that
    cannot be serialized stays in memory (None, None), with a warning, as Prefect's."""
    import pickle  # its error class; the serializers have imported pickle when results persist

    task = engine.task
    try:
        ref, write = prepare_result(value, engine.cache_key, task.result_storage, task.serializer)
    except (TypeError, ValueError, AttributeError, pickle.PicklingError) as exc:
        engine.logger().warning(
            "Encountered an error while serializing result for task run %r: %r. The run completes, "
            "but its result is not persisted.",
            engine.name,
            exc,
        )
        return None, None
    key_storage = getattr(task.cache_policy, "key_storage", None)
    if key_storage is None or not engine.cache_key:
        return ref, write
    record = _key_record(key_storage, engine.cache_key, ref)
    return ref, lambda: (write(), record())


def _key_record(key_storage: Any, key: str, ref: dict[str, Any]) -> Callable[[], None]:
    """Writing the record of a cached run's value under `key` in the cache policy's `key_storage`
    (`configure(key_storage=...)`), as Prefect's result metadata: JSON naming where the value is
    stored (the task's result storage) and how it was serialized."""
    import json  # lazy: only runs whose cache policy names a key storage write such a record

    meta = {"storage_key": ref["storage_key"], "expiration": None, "serializer": {"type": ref["serializer"]},
            "prefect_version": __version__, "storage_block_id": None}  # fmt: skip
    url = f"{resolve_storage(key_storage)}/{key}"
    saved = saved_storage(key_storage)
    payload = json.dumps(meta).encode()
    return lambda: _write(url, payload, saved.options if saved is not None else {})


def _write(url: str, payload: bytes, options: dict[str, Any]) -> None:
    import uuid  # loaded by prepare_result already

    from fsspec.core import url_to_fs  # heavy: loaded by the first persisted result only

    fs, path = url_to_fs(url, **options)
    parent = path.rsplit("/", 1)[0]
    if parent:
        fs.makedirs(parent, exist_ok=True)
    if getattr(fs, "protocol", None) in ("file", ("file", "local")):
        # write beside, then rename: a reader never sees half a pickle
        tmp = f"{path}.{uuid.uuid4().hex}.tmp"
        with fs.open(tmp, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    else:
        with fs.open(path, "wb") as f:
            f.write(payload)


def persist_failure(
    exc: BaseException, storage: Any = None, serializer: str = SERIALIZER
) -> dict[str, str] | None:
    """Persist a failed run's exception as its result (another process, such as a distributed
    future's, then raises it); one that cannot be serialized stays in memory only (readers
    elsewhere get the state's message as a FailedRun)."""
    try:
        return persist_result(exc, None, storage, serializer)
    except Exception:
        return None


def is_stored(reference: dict[str, Any]) -> bool:
    """Whether the value a reference points to is still there (a cache entry whose file was
    deleted is no hit: the run executes again, as Prefect's)."""
    from fsspec.core import url_to_fs  # heavy: loaded by the first persisted result only

    saved = saved_storage(reference.get("storage"))
    fs, path = url_to_fs(reference["storage_key"], **(saved.options if saved is not None else {}))
    return bool(fs.exists(path))


def stored_reference(key: str, storage: Any, serializer: str) -> dict[str, Any] | None:
    """The reference to a value already stored under `key` in `storage` (a task's explicit
    `result_storage_key`, written by an earlier run or a `ResultStore`), or None."""
    ref: dict[str, Any] = {"storage_key": f"{storage_base(storage)}/{key}", "serializer": serializer}
    if saved_storage(storage) is not None:
        ref["storage"] = storage
    return ref if is_stored(ref) else None


def unwrap_record(record: Any) -> tuple[Any, dict[str, Any] | None]:
    """A `ResultRecord` a task body returned: its value, and its reference if it was written."""
    return record.result, record.reference()
