"""Persisted results: values serialized to `$JUPYTER_ORCH_HOME/results/<key>`, to any fsspec URL set
in `JUPYTER_ORCH_RESULTS_URL` (s3://..., memory://...), or to a task's or flow's own
`result_storage` (a path, a URL, or the name of a saved storage configuration, opened with its
options and credentials). A state keeps only the reference
`{"storage_key": URL, "serializer": NAME}`, so any process can load it.

Serializers by Prefect's names: "pickle" (cloudpickle, the default), "json", and
"compressed/pickle" / "compressed/json" (zlib).
"""

from __future__ import annotations

import json
import os
import uuid
import zlib
from typing import Any

RESULTS_URL_ENV = "JUPYTER_ORCH_RESULTS_URL"
SERIALIZER = "cloudpickle"
SERIALIZERS = ("pickle", "cloudpickle", "json", "compressed/pickle", "compressed/json")
_SAVED: dict[tuple[str, str], Any] = {}


def storage_base(storage: Any = None) -> str:
    """The base URL results go under: `storage` (a path, URL, or an object with a `basepath`),
    else `JUPYTER_ORCH_RESULTS_URL`, else the home's results directory."""
    if storage is not None:
        return resolve_storage(storage)
    url = os.environ.get(RESULTS_URL_ENV)
    if url:
        return url.rstrip("/")
    from jupyter_orch.settings import get_settings

    return str(get_settings().results_dir)


def saved_storage(storage: Any) -> Any:
    """The saved storage configuration a `result_storage` names (a bare word such as "lake" for
    which `jupyter orch storage create lake ...` or `RemoteFileSystem(...).save("lake")` exists),
    else None. Looked up once per process and name."""
    if not isinstance(storage, str) or any(c in storage for c in "/.:\\"):
        return None  # a path or URL: no lookup on the common path
    from jupyter_orch.settings import get_settings

    settings = get_settings()
    where = (settings.api_url or settings.database_url, storage)  # per server or database
    if where not in _SAVED:
        # the configuration client: only when a result_storage is a bare name
        from jupyter_orch.storage import is_name, load_storage

        if not is_name(storage):
            return None
        try:
            _SAVED[where] = load_storage(storage)
        except ValueError:  # no configuration by that name: a relative path
            _SAVED[where] = None
    return _SAVED[where]


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


def serializer_name(serializer: Any) -> str:
    """A `result_serializer` option (a name, or an object with Prefect's `type` attribute)."""
    name = getattr(serializer, "type", serializer)
    if name is None:
        return SERIALIZER
    if name not in SERIALIZERS:
        raise ValueError(f"result_serializer must be one of {', '.join(SERIALIZERS)}; got {name!r}")
    return "cloudpickle" if name == "pickle" else name


def dumps(value: Any, serializer: str) -> bytes:
    compressed = serializer.startswith("compressed/")
    kind = serializer.rsplit("/", 1)[-1]
    if kind == "json":
        payload = json.dumps(value, default=_json_default).encode()
    else:
        import cloudpickle

        payload = cloudpickle.dumps(value)
    return zlib.compress(payload) if compressed else payload


def loads(payload: bytes, serializer: str) -> Any:
    if serializer not in SERIALIZERS:
        raise ValueError(f"unknown result serializer {serializer!r}")
    if serializer.startswith("compressed/"):
        payload = zlib.decompress(payload)
    if serializer.endswith("json"):
        return json.loads(payload)
    import cloudpickle

    return cloudpickle.loads(payload)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):  # pydantic models
        return obj.model_dump(mode="json")
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, uuid.UUID):
        return str(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def persist_result(
    value: Any, key: str | None = None, storage: Any = None, serializer: str = SERIALIZER
) -> dict[str, str]:
    """Write `value` under `key` (a fresh one by default); returns the reference for a state."""
    from fsspec.core import url_to_fs

    url = f"{storage_base(storage)}/{key or uuid.uuid4().hex}"
    payload = dumps(value, serializer)
    saved = saved_storage(storage)
    fs, path = url_to_fs(url, **(saved.options if saved is not None else {}))
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
    ref = {"storage_key": url, "serializer": serializer}
    if saved is not None:
        ref["storage"] = storage  # the loader opens it with the configuration's credentials
    return ref


def load_result(data: dict[str, Any]) -> Any:
    """The value a reference made by `persist_result` points to."""
    import fsspec

    saved = saved_storage(data.get("storage"))
    options = saved.options if saved is not None else {}
    with fsspec.open(data["storage_key"], "rb", **options) as f:
        return loads(f.read(), data.get("serializer", SERIALIZER))
