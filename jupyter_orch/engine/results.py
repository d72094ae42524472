"""Persisted results: values pickled with cloudpickle to `$JUPYTER_ORCH_HOME/results/<key>` or to
any fsspec URL set in `JUPYTER_ORCH_RESULTS_URL` (s3://..., memory://...). A state keeps only the
reference `{"storage_key": URL, "serializer": "cloudpickle"}`, so any process can load it."""

from __future__ import annotations

import os
import uuid
from typing import Any

RESULTS_URL_ENV = "JUPYTER_ORCH_RESULTS_URL"
SERIALIZER = "cloudpickle"


def storage_base() -> str:
    url = os.environ.get(RESULTS_URL_ENV)
    if url:
        return url.rstrip("/")
    from jupyter_orch.settings import get_settings

    return str(get_settings().results_dir)


def persist_result(value: Any, key: str | None = None) -> dict[str, str]:
    """Write `value` under `key` (a fresh one by default); returns the reference for a state."""
    import cloudpickle
    from fsspec.core import url_to_fs

    url = f"{storage_base()}/{key or uuid.uuid4().hex}"
    payload = cloudpickle.dumps(value)
    fs, path = url_to_fs(url)
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
    return {"storage_key": url, "serializer": SERIALIZER}


def load_result(data: dict[str, Any]) -> Any:
    """The value a reference made by `persist_result` points to."""
    serializer = data.get("serializer", SERIALIZER)
    if serializer != SERIALIZER:
        raise ValueError(f"unknown result serializer {serializer!r}")
    import cloudpickle
    import fsspec

    with fsspec.open(data["storage_key"], "rb") as f:
        return cloudpickle.loads(f.read())
