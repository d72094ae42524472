"""Configuration flows read at run time: variables, secrets and storage configurations.

Secrets and storage credentials are write-only in every listing and read: their values come back
only from the explicit `reveal` routes (POST, so no cache or proxy keeps an answer).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import JSONObject, JSONValue, Params, Strict, Tag
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.store import config as store

ConfigName = Field(min_length=1, max_length=255, description="lowercase letters, numbers, - and _")


class ByName(Params):
    name: str = ConfigName


class ByPrefix(Params):
    prefix: str | None = Field(None, max_length=255, description="only names starting with this")


class VariableIn(Strict):
    name: str = ConfigName
    value: JSONValue = Field(description="any JSON value")
    tags: list[Tag] = Field(default_factory=list)
    overwrite: bool = False


class VariableUpdate(Strict):
    value: JSONValue = Field(description="any JSON value")
    tags: list[Tag] | None = None


class SecretIn(Strict):
    name: str = ConfigName
    value: JSONValue = Field(description="a string or any JSON value; stored encrypted")
    overwrite: bool = False


class StorageIn(Strict):
    name: str = ConfigName
    url: str = Field(min_length=1, max_length=4096, description="a local path or an fsspec URL")
    options: JSONObject = Field(default_factory=dict, description="filesystem options (not secret)")
    credentials: JSONObject = Field(default_factory=dict, description="secret options; stored encrypted")
    overwrite: bool = False


class StorageUpdate(Strict):
    """What to change; a field left out (or null) keeps its stored value."""

    url: str | None = Field(None, min_length=1, max_length=4096, description="a local path or an fsspec URL")
    options: JSONObject | None = Field(None, description="filesystem options (not secret); replace them")
    credentials: JSONObject | None = Field(
        None, description="secret options; replace the stored ones ({} removes them); left out: kept"
    )


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "next": None}


def list_variables(session: Session, p: ByPrefix) -> dict[str, Any]:
    return _page(store.list_variables(session, p.prefix))


def create_variable(session: Session, _: None, body: VariableIn) -> dict[str, Any]:
    return store.set_variable(session, body.name, body.value, body.tags, body.overwrite)


def read_variable(session: Session, p: ByName) -> dict[str, Any]:
    return store.read_variable(session, p.name)


def update_variable(session: Session, p: ByName, body: VariableUpdate) -> dict[str, Any]:
    store.read_variable(session, p.name)  # 404 for an unknown name: PATCH does not create
    return store.set_variable(session, p.name, body.value, body.tags, overwrite=True)


def delete_variable(session: Session, p: ByName) -> None:
    store.delete_variable(session, p.name)


def list_secrets(session: Session, p: ByPrefix) -> dict[str, Any]:
    return _page(store.list_secrets(session, p.prefix))


def create_secret(session: Session, _: None, body: SecretIn) -> dict[str, Any]:
    return store.set_secret(session, body.name, body.value, body.overwrite)


def reveal_secret(session: Session, p: ByName) -> dict[str, Any]:
    return {"name": p.name, "value": store.reveal_secret(session, p.name)}


def delete_secret(session: Session, p: ByName) -> None:
    store.delete_secret(session, p.name)


def list_storage(session: Session, p: ByPrefix) -> dict[str, Any]:
    return _page(store.list_storage(session, p.prefix))


def create_storage(session: Session, _: None, body: StorageIn) -> dict[str, Any]:
    return store.set_storage(
        session, body.name, body.url, body.options, body.credentials, overwrite=body.overwrite
    )


def update_storage(session: Session, p: ByName, body: StorageUpdate) -> dict[str, Any]:
    return store.update_storage(session, p.name, body.url, body.options, body.credentials)


def read_storage(session: Session, p: ByName) -> dict[str, Any]:
    return store.read_storage(session, p.name)


def reveal_storage(session: Session, p: ByName) -> dict[str, Any]:
    return store.storage_with_credentials(session, p.name)


def delete_storage(session: Session, p: ByName) -> None:
    store.delete_storage(session, p.name)


def _crud(kind: str, tag: str, ops: dict[str, Any], body: Any) -> list[Route]:
    """List, create, read-by-name and delete routes for one kind of named configuration."""
    base = f"/{tag}"
    routes = [
        Route("GET", base, ops["list"], f"List {kind}s (by name)", tag, params=ByPrefix),
        Route("POST", base, ops["create"], f"Create a {kind}", tag, body=body, status=201),
        Route(
            "DELETE",
            f"{base}/name/{{name}}",
            ops["delete"],
            f"Delete a {kind}",
            tag,
            params=ByName,
            status=204,
        ),
    ]
    if "read" in ops:
        routes.append(
            Route("GET", f"{base}/name/{{name}}", ops["read"], f"Read a {kind}", tag, params=ByName)
        )
    if "reveal" in ops:
        routes.append(
            Route(
                "POST",
                f"{base}/name/{{name}}/reveal",
                ops["reveal"],
                f"Read a {kind} with its secret values in clear",
                tag,
                params=ByName,
                write=False,
            )
        )
    return routes


ROUTES = [
    *_crud(
        "variable",
        "variables",
        {"list": list_variables, "create": create_variable, "read": read_variable, "delete": delete_variable},
        VariableIn,
    ),
    Route(
        "PATCH",
        "/variables/name/{name}",
        update_variable,
        "Change a variable's value or tags",
        "variables",
        params=ByName,
        body=VariableUpdate,
    ),
    *_crud(
        "secret",
        "secrets",
        {"list": list_secrets, "create": create_secret, "reveal": reveal_secret, "delete": delete_secret},
        SecretIn,
    ),
    *_crud(
        "storage configuration",
        "storage",
        {
            "list": list_storage,
            "create": create_storage,
            "read": read_storage,
            "reveal": reveal_storage,
            "delete": delete_storage,
        },
        StorageIn,
    ),
    Route(
        "PATCH",
        "/storage/name/{name}",
        update_storage,
        "Change a storage configuration's URL, options or credentials (those left out are kept)",
        "storage",
        params=ByName,
        body=StorageUpdate,
    ),
]
