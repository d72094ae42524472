"""Configuration flows read at run time: variables (JSON values), secrets (encrypted, read by name,
never listed) and named storage configurations (an fsspec URL, options and encrypted credentials).

Listings and reads of storage show which credential keys are set, never their values; a value
leaves the store only through `reveal_secret` and `storage_with_credentials`, which the API serves
on explicit routes behind Jupyter's auth like every route.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Secret, StorageConfig, Variable, new_id, utcnow
from jupyter_orch.orchestration.crypto import decrypt, encrypt
from jupyter_orch.orchestration.errors import Conflict, Invalid
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store.query import found

NAME = re.compile(r"^[a-z0-9_-]{1,255}$")
#: the largest value a variable holds (JSON bytes); see docs/configuration.md
MAX_VALUE_BYTES = 1_000_000


def check_name(name: str, kind: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise Invalid(
            f"{kind} name {name!r} must be 1-255 lowercase letters, numbers, dashes or underscores",
            field="name",
        )
    return name


def _one(session: Session, model: Any, name: str, kind: str) -> Any:
    row = session.scalars(select(model).where(model.name == name)).first()
    return found(row, f"{kind} {name!r} not found", "name")


def _create_or_update(session: Session, model: Any, name: str, kind: str, overwrite: bool) -> Any:
    check_name(name, kind)
    row = session.scalars(select(model).where(model.name == name)).first()
    if row is None:
        row = model(id=new_id(), name=name)
        session.add(row)
    elif not overwrite:
        raise Conflict(f"{kind} {name!r} already exists; pass overwrite to replace it", field="name")
    else:
        row.updated = utcnow()
    return row


def _names(session: Session, model: Any, prefix: str | None) -> Any:
    stmt = select(model).order_by(model.name)
    if prefix:
        stmt = stmt.where(model.name.startswith(prefix, autoescape=True))
    return session.scalars(stmt)


# -- variables ------------------------------------------------------------------------------------
def set_variable(
    session: Session, name: str, value: Any, tags: list[str] | None = None, overwrite: bool = False
) -> dict[str, Any]:
    if len(json.dumps(value)) > MAX_VALUE_BYTES:
        raise Invalid(f"value is larger than {MAX_VALUE_BYTES} bytes of JSON", field="value")
    row = _create_or_update(session, Variable, name, "variable", overwrite)
    row.value = value
    if tags is not None or row.tags is None:
        row.tags = list(tags or [])
    session.flush()
    return row_to_dict(row)


def read_variable(session: Session, name: str) -> dict[str, Any]:
    return row_to_dict(_one(session, Variable, name, "variable"))


def list_variables(session: Session, prefix: str | None = None) -> list[dict[str, Any]]:
    return [row_to_dict(r) for r in _names(session, Variable, prefix)]


def delete_variable(session: Session, name: str) -> None:
    session.delete(_one(session, Variable, name, "variable"))


# -- secrets --------------------------------------------------------------------------------------
def _secret_out(row: Secret) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created": row.created.isoformat(),
        "updated": row.updated.isoformat(),
    }


def set_secret(session: Session, name: str, value: Any, overwrite: bool = False) -> dict[str, Any]:
    """Store `value` (a string or any JSON value) encrypted; the answer never holds it."""
    row = _create_or_update(session, Secret, name, "secret", overwrite)
    row.ciphertext = encrypt(json.dumps(value))
    session.flush()
    return _secret_out(row)


def list_secrets(session: Session, prefix: str | None = None) -> list[dict[str, Any]]:
    return [_secret_out(r) for r in _names(session, Secret, prefix)]


def reveal_secret(session: Session, name: str) -> Any:
    row = _one(session, Secret, name, "secret")
    return json.loads(decrypt(row.ciphertext, name))


def delete_secret(session: Session, name: str) -> None:
    session.delete(_one(session, Secret, name, "secret"))


# -- storage configurations -----------------------------------------------------------------------
def _storage_out(row: StorageConfig) -> dict[str, Any]:
    out = row_to_dict(row)
    creds = json.loads(decrypt(row.credentials, row.name)) if row.credentials else {}
    out["credentials"] = {key: "********" for key in creds}  # which are set, never what
    return out


def _check_url(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise Invalid("url must be a path or an fsspec URL such as s3://bucket/prefix", field="url")
    if "://" in url:
        from fsspec.registry import known_implementations  # only to check the protocol's name

        protocol = url.split("://", 1)[0]
        if protocol not in known_implementations:
            raise Invalid(f"url: fsspec knows no protocol {protocol!r}", field="url")
    return url


def set_storage(
    session: Session,
    name: str,
    url: str,
    options: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Create a configuration, or (`overwrite`) replace one whole, credentials included."""
    _check_url(url)
    row = _create_or_update(session, StorageConfig, name, "storage", overwrite)
    row.url = url
    row.options = dict(options or {})
    row.credentials = encrypt(json.dumps(credentials)) if credentials else None
    session.flush()
    return _storage_out(row)


def update_storage(
    session: Session,
    name: str,
    url: str | None = None,
    options: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Change what is given (None: keep). Credentials are write-only, so an edit that does not
    send them keeps the stored ones; given, they replace them (`{}` removes them)."""
    row = _one(session, StorageConfig, name, "storage")
    if url is not None:
        row.url = _check_url(url)
    if options is not None:
        row.options = dict(options)
    if credentials is not None:
        row.credentials = encrypt(json.dumps(credentials)) if credentials else None
    row.updated = utcnow()
    session.flush()
    return _storage_out(row)


def read_storage(session: Session, name: str) -> dict[str, Any]:
    return _storage_out(_one(session, StorageConfig, name, "storage"))


def storage_with_credentials(session: Session, name: str) -> dict[str, Any]:
    """The configuration with its credentials in clear, for the process that opens the storage."""
    row = _one(session, StorageConfig, name, "storage")
    out = row_to_dict(row)
    out["credentials"] = json.loads(decrypt(row.credentials, name)) if row.credentials else {}
    return out


def list_storage(session: Session, prefix: str | None = None) -> list[dict[str, Any]]:
    return [_storage_out(r) for r in _names(session, StorageConfig, prefix)]


def delete_storage(session: Session, name: str) -> None:
    session.delete(_one(session, StorageConfig, name, "storage"))
