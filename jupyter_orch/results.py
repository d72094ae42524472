"""Result references and their serializers: what a state keeps of a persisted value, and how any
process loads it back (`State.result()`).

A persisted value is a reference `{"storage_key": URL, "serializer": NAME}` (plus `"storage": NAME`
when it was written to a saved storage configuration); the engine writes it
(`engine/results.py`). Serializers by Prefect's names: "pickle" (cloudpickle, the default),
"json", and "compressed/pickle" / "compressed/json" (zlib).

A saved storage configuration is read through the API, which this module sits below: the
package's composition root (`jupyter_orch/__init__.py`) gives it the lookup with
`use_saved_storage`, once per process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

SERIALIZER = "cloudpickle"
SERIALIZERS = ("pickle", "cloudpickle", "json", "compressed/pickle", "compressed/json")


class SavedStorage(Protocol):
    """A saved storage configuration as the lookup answers it (`jupyter_orch.storage.StorageLocation`)."""

    url: str
    options: dict[str, Any]


#: name -> its configuration, or None when the name is no saved configuration's (a relative path)
StorageLookup = Callable[[str], "SavedStorage | None"]

_lookup: StorageLookup | None = None


def use_saved_storage(lookup: StorageLookup) -> None:
    """Resolve bare `result_storage` names with `lookup` from now on."""
    global _lookup
    _lookup = lookup


def saved_storage(storage: Any) -> SavedStorage | None:
    """The saved storage configuration a `result_storage` names (a bare word such as "lake" for
    which `jupyter orch storage create lake ...` or `RemoteFileSystem(...).save("lake")` exists),
    else None."""
    if not isinstance(storage, str) or any(c in storage for c in "/.:\\") or _lookup is None:
        return None  # a path or URL: no lookup on the common path
    return _lookup(storage)


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
        import cloudpickle  # heavy: loaded by the first pickled result only

        payload = cloudpickle.dumps(value)
    if not compressed:
        return payload
    import zlib  # lazy: only the compressed/ serializers

    return zlib.compress(payload)


def loads(payload: bytes, serializer: str) -> Any:
    if serializer not in SERIALIZERS:
        raise ValueError(f"unknown result serializer {serializer!r}")
    if serializer.startswith("compressed/"):
        import zlib  # lazy: only the compressed/ serializers

        payload = zlib.decompress(payload)
    if serializer.endswith("json"):
        return json.loads(payload)
    import cloudpickle  # heavy: loaded by the first pickled result only

    return cloudpickle.loads(payload)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):  # pydantic models
        return obj.model_dump(mode="json")
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    import uuid  # lazy: uuid loads `platform`; only a value no case above took gets here

    if isinstance(obj, uuid.UUID):
        return str(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def load_result(data: dict[str, Any]) -> Any:
    """The value a reference made by `engine.results.persist_result` points to."""
    import fsspec  # heavy: loaded by the first persisted result only

    saved = saved_storage(data.get("storage"))
    options = saved.options if saved is not None else {}
    with fsspec.open(data["storage_key"], "rb", **options) as f:
        return loads(f.read(), data.get("serializer", SERIALIZER))


#: storages by the setting that named them (Prefect's cache of default storages; ours are
#: resolved on each use, so clearing it changes nothing)
_default_storages: dict[Any, Any] = {}


async def get_or_create_default_task_scheduling_storage() -> str:
    """Where background task runs' parameters are kept: the results directory of the home."""
    from jupyter_orch.settings import get_settings  # same layer; read when asked, not at import

    return str(get_settings().results_dir)


class ResultStore:
    """Values stored by key under `result_storage` (a directory or fsspec URL) with a serializer,
    as Prefect's `ResultStore`: `write(key, value)` / `read(key)`, and the parameters of
    background runs (`store_parameters` / `read_parameters`)."""

    def __init__(
        self,
        result_storage: Any = None,
        serializer: Any = None,
        lock_manager: Any = None,
        persist_result: bool | None = None,
        **_options: Any,
    ) -> None:
        self.result_storage = result_storage
        #: whether `create_result` writes what it makes (Prefect's option of the same name)
        self.persist_result = bool(persist_result)
        self.serializer = serializer_name(serializer)
        #: what a SERIALIZABLE transaction over this store locks its key with (`jupyter_orch.locking`)
        self.lock_manager = lock_manager

    async def update_for_flow(self, flow: Any) -> ResultStore:
        """This store with the flow's own storage and serializer where it names them (Prefect's)."""
        return await self.update_for_task(flow)

    async def update_for_task(self, task: Any) -> ResultStore:
        """This store with the task's own storage and serializer where it names them."""
        storage = getattr(task, "result_storage", None) or self.result_storage
        serializer = getattr(task, "result_serializer", None) or self.serializer
        return ResultStore(storage, serializer)

    def _url(self, key: str) -> str:
        """Where `key` is stored: under the storage given, else the home's results directory
        (Prefect's default local storage)."""
        base = getattr(self.result_storage, "basepath", None) or self.result_storage
        if not base:
            from jupyter_orch.settings import get_settings  # same layer; read when asked, not at import

            base = get_settings().results_dir
        return f"{str(base).rstrip('/')}/{key}"

    def exists(self, key: str) -> bool:
        """Whether a value is stored under `key` (a transaction with this key is then committed)."""
        import fsspec  # heavy: loaded by the first stored value only

        url = self._url(key)
        fs, path = fsspec.core.url_to_fs(url)
        return bool(fs.exists(path))

    def write(
        self, obj: Any, key: str | None = None, expiration: datetime | None = None, holder: Any = None
    ) -> None:
        """Store `obj` under `key` (a random one by default), as Prefect's `ResultStore.write`."""
        self.persist_result_record(self.create_result_record(obj, key, expiration))

    def read(self, key: str) -> Any:
        return load_result({"storage_key": self._url(key), "serializer": self.serializer})

    def create_result_record(
        self, obj: Any, key: str | None = None, expiration: datetime | None = None
    ) -> ResultRecord:
        """A record of `obj` for this store, not yet written: its `metadata.storage_key` is where
        `persist_result_record` will write it (a random key unless `key` is given)."""
        if key is None:
            import uuid  # lazy: uuid loads `platform`; only records made outside the engine

            key = uuid.uuid4().hex
        metadata = ResultRecordMetadata(
            storage_key=self._url(key), expiration=expiration, serializer=self.serializer
        )
        return ResultRecord(result=obj, metadata=metadata)

    def persist_result_record(self, record: ResultRecord) -> None:
        """Write the record's value where its metadata says (then a state holding it keeps that
        reference when recorded)."""
        import fsspec  # heavy: loaded by the first stored value only

        with fsspec.open(record.metadata.storage_key, "wb", auto_mkdir=True) as f:
            f.write(record.serialize())
        record.persisted = True

    async def apersist_result_record(self, record: ResultRecord) -> None:
        self.persist_result_record(record)

    async def create_result(
        self, obj: Any, key: str | None = None, expiration: datetime | None = None
    ) -> PersistedResult:
        """Prefect's older result object for `obj` (written when the store persists results)."""
        record = self.create_result_record(obj, key, expiration)
        if self.persist_result:
            self.persist_result_record(record)
        result = PersistedResult(
            storage_key=record.metadata.storage_key,
            serializer_type=record.metadata.serializer,
            expiration=expiration,
        )
        result._cache = obj
        return result

    async def store_parameters(self, identifier: Any, parameters: dict[str, Any]) -> None:
        self.write(parameters, key=f"parameters/{identifier}")

    async def read_parameters(self, identifier: Any) -> dict[str, Any]:
        """The parameters stored under `identifier`: a background run's (its task run id, as
        `state.state_details.task_parameters_id` names it) are read from the run itself."""
        if _parameter_reader is not None:
            saved = _parameter_reader(str(identifier))
            if saved:
                return saved
        return self.read(f"parameters/{identifier}")


#: task run id -> what the background run was scheduled with (set by the package root)
_parameter_reader: Callable[[str], dict[str, Any]] | None = None


def use_parameter_reader(reader: Callable[[str], dict[str, Any]]) -> None:
    """Read background runs' parameters with `reader` from now on."""
    global _parameter_reader
    _parameter_reader = reader


@dataclass
class ResultRecordMetadata:
    """Where a stored result is and how it was serialized (a name, or a `jupyter_orch.serializers`
    object)."""

    storage_key: str | None = None
    expiration: datetime | None = None
    serializer: Any = SERIALIZER
    prefect_version: str | None = None
    storage_block_id: Any = None

    def get(self) -> Any:
        """The value stored where this metadata says (Prefect's states may hold only it)."""
        return load_result(self.reference())

    def reference(self) -> dict[str, Any]:
        return {"storage_key": self.storage_key, "serializer": serializer_name(self.serializer)}


@dataclass
class ResultRecord:
    """A result with its metadata, as Prefect's `ResultRecord`; `serialize()` gives the bytes a
    result file holds here (the serialized value) and `deserialize(data)` reads them back. A state
    may hold one as its data (`Completed(data=record)`): its result is the record's."""

    result: Any
    metadata: ResultRecordMetadata = field(default_factory=ResultRecordMetadata)
    #: written to `metadata.storage_key` (then a recorded state keeps the reference, not the value)
    persisted: bool = field(default=False, repr=False, compare=False)

    def serialize(self) -> bytes:
        return dumps(self.result, serializer_name(self.metadata.serializer))

    @classmethod
    def deserialize(cls, data: bytes, serializer: str = SERIALIZER) -> ResultRecord:
        return cls(loads(data, serializer), ResultRecordMetadata(serializer=serializer))

    def get(self) -> Any:
        return self.result

    def reference(self) -> dict[str, Any] | None:
        """What a recorded state keeps of it: the storage reference once written, else None."""
        if not self.persisted or not self.metadata.storage_key:
            return None
        meta = self.metadata
        ref = {"storage_key": meta.storage_key, "serializer": serializer_name(meta.serializer)}
        if isinstance(self.metadata.storage_block_id, str):  # a saved storage configuration's name
            ref["storage"] = self.metadata.storage_block_id
        return ref


@dataclass
class PersistedResult:
    """Prefect's older reference to a stored result (deprecated there in favour of `ResultRecord`,
    still accepted as a state's data): `get()` answers the value it was made with, else reads it
    from `storage_key`."""

    storage_key: str | None = None
    serializer_type: Any = SERIALIZER
    storage_block_id: Any = None
    expiration: datetime | None = None
    type: str = "reference"
    _cache: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._has_cache = False

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "_cache" and value is not None:
            object.__setattr__(self, "_has_cache", True)

    def get(self) -> Any:
        if not self._has_cache:
            self._cache = load_result(
                {"storage_key": self.storage_key, "serializer": serializer_name(self.serializer_type)}
            )
        return self._cache

    def reference(self) -> dict[str, Any] | None:
        if not self.storage_key:
            return None
        return {"storage_key": self.storage_key, "serializer": serializer_name(self.serializer_type)}


def record_of(value: Any, reference: dict[str, Any] | None, key: Any) -> ResultRecord:
    """A completed state's value as Prefect's `ResultRecord`: where `reference` says it was
    written, else where a store of the default storage would write it under `key` (not written)."""
    if reference and "storage_key" in reference:
        metadata = ResultRecordMetadata(
            storage_key=reference["storage_key"],
            serializer=reference.get("serializer", SERIALIZER),
            storage_block_id=reference.get("storage"),  # a saved storage configuration's name
        )
        return ResultRecord(result=value, metadata=metadata, persisted=True)
    return ResultStore().create_result_record(value, key=str(key))


#: what a state may hold as its data besides a value or a reference: result objects with a `get()`
RESULT_HOLDERS = (ResultRecord, ResultRecordMetadata, PersistedResult)


def stored_data(data: Any) -> dict[str, Any] | None:
    """What a recorded state keeps of its data: a stored reference (a dict, or a written result
    record's); a value held in memory only (Prefect's `State(data=value)`) is not recorded."""
    if data is None or data.__class__ is dict:
        return data
    return data.reference() if isinstance(data, RESULT_HOLDERS) else None
