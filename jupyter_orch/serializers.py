"""Serializer objects by Prefect's names (`prefect.serializers`): what `result_serializer=` and a
result record's metadata take besides a bare name. Each is its `type` name ("pickle", "json",
"compressed/pickle", "compressed/json") with `dumps`/`loads`; the bytes are those the engine
writes for that name (`jupyter_orch.results`), so a value written through either reads back
through the other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from jupyter_orch.results import dumps, loads, serializer_name


@dataclass(frozen=True)
class Serializer:
    """A named way to turn values into bytes and back; `Serializer(type="json")` or a subclass."""

    type: str = "pickle"

    def dumps(self, obj: Any) -> bytes:
        return dumps(obj, serializer_name(self.type))

    def loads(self, blob: bytes) -> Any:
        return loads(blob, serializer_name(self.type))


@dataclass(frozen=True)
class PickleSerializer(Serializer):
    """cloudpickle, the default (`picklelib` is accepted for Prefect's signature; cloudpickle is used)."""

    type: str = "pickle"
    picklelib: str = "cloudpickle"


@dataclass(frozen=True)
class JSONSerializer(Serializer):
    """JSON, with datetimes, UUIDs, sets and pydantic models written as JSON values."""

    type: str = "json"
    jsonlib: str = "json"


@dataclass(frozen=True)
class CompressedPickleSerializer(Serializer):
    type: str = "compressed/pickle"


@dataclass(frozen=True)
class CompressedJSONSerializer(Serializer):
    type: str = "compressed/json"


@dataclass(frozen=True)
class CompressedSerializer(Serializer):
    """Another serializer's bytes, compressed (zlib): `CompressedSerializer(serializer="json")`."""

    type: str = "compressed/pickle"
    serializer: Any = "pickle"

    _KINDS: ClassVar[dict[str, str]] = {"pickle": "compressed/pickle", "json": "compressed/json"}

    def __post_init__(self) -> None:
        inner = getattr(self.serializer, "type", self.serializer)
        if inner not in self._KINDS:
            raise ValueError(f"CompressedSerializer takes a 'pickle' or 'json' serializer; got {inner!r}")
        object.__setattr__(self, "type", self._KINDS[inner])


__all__ = [
    "CompressedJSONSerializer",
    "CompressedPickleSerializer",
    "CompressedSerializer",
    "JSONSerializer",
    "PickleSerializer",
    "Serializer",
]
