"""The configuration routes over HTTP against a real Jupyter server (jp_fetch), on SQLite and
PostgreSQL: secrets never appear in listings or reads, bad input is a 4xx naming the field, and a
value is revealed only by POST."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def test_variables_over_http(api) -> None:
    assert (await api("POST", "variables", {"name": "v1", "value": [1, 2]}))[0] == 201
    code, body = await api("POST", "variables", {"name": "v1", "value": 3})
    assert code == 409 and body["field"] == "name"
    code, body = await api("POST", "variables", {"name": "Bad Name!", "value": 3})
    assert code == 422 and body["field"] == "name"
    code, body = await api("POST", "variables", {"name": "v2"})
    assert code == 422 and "value" in json.dumps(body)
    assert (await api("PATCH", "variables/name/v1", {"value": {"a": 1}}))[0] == 200
    assert (await api("PATCH", "variables/name/nope", {"value": 1}))[0] == 404
    code, body = await api("GET", "variables/name/v1")
    assert code == 200 and body["value"] == {"a": 1}
    code, body = await api("GET", "variables", params={"prefix": "v"})
    assert [v["name"] for v in body["items"]] == ["v1"]
    assert (await api("DELETE", "variables/name/v1"))[0] == 204
    assert (await api("GET", "variables/name/v1"))[0] == 404


async def test_secret_values_only_through_reveal(api) -> None:
    code, body = await api("POST", "secrets", {"name": "tok", "value": "s3cr3t-value"})
    assert code == 201 and "s3cr3t" not in json.dumps(body)
    code, listing = await api("GET", "secrets")
    assert [s["name"] for s in listing["items"]] == ["tok"] and "s3cr3t" not in json.dumps(listing)
    assert (await api("GET", "secrets/name/tok/reveal"))[0] == 405  # never by GET
    code, body = await api("POST", "secrets/name/tok/reveal")
    assert code == 200 and body == {"name": "tok", "value": "s3cr3t-value"}
    assert (await api("POST", "secrets/name/none/reveal"))[0] == 404


async def test_storage_credentials_are_masked(api) -> None:
    body = {
        "name": "lake",
        "url": "memory://lake",
        "options": {"region": "eu"},
        "credentials": {"key": "AKIA-secret"},
    }
    code, made = await api("POST", "storage", body)
    assert code == 201 and made["credentials"] == {"key": "********"} and made["options"] == {"region": "eu"}
    code, read = await api("GET", "storage/name/lake")
    assert "AKIA" not in json.dumps(read)
    code, listing = await api("GET", "storage")
    assert "AKIA" not in json.dumps(listing)
    code, revealed = await api("POST", "storage/name/lake/reveal")
    assert revealed["credentials"] == {"key": "AKIA-secret"}
    code, err = await api("POST", "storage", {**body, "name": "x", "url": "nosuch://a"})
    assert code == 422 and err["field"] == "url"


@pytest.mark.parametrize("path", ["variables", "secrets", "storage"])
async def test_every_config_route_needs_the_token(api, path: str) -> None:
    code, _ = await api("GET", path, headers={"Authorization": "token wrong"})
    assert code == 401


async def test_storage_edit_keeps_credentials_left_out(api) -> None:
    """Credentials are write-only: an edit (PATCH) that does not send them keeps the stored ones;
    sent, they replace them, and {} removes them."""
    creds = {"key": "AKIA-1", "secret": "s-1"}
    body = {"name": "lake", "url": "memory://a", "credentials": creds}
    assert (await api("POST", "storage", body))[0] == 201
    code, edited = await api("PATCH", "storage/name/lake", {"url": "memory://b", "options": {"region": "eu"}})
    assert code == 200 and edited["url"] == "memory://b" and edited["options"] == {"region": "eu"}
    assert edited["credentials"] == {"key": "********", "secret": "********"}
    code, revealed = await api("POST", "storage/name/lake/reveal")
    assert revealed["credentials"] == creds
    code, edited = await api("PATCH", "storage/name/lake", {"credentials": None, "options": None})
    assert code == 200 and edited["options"] == {"region": "eu"} and edited["url"] == "memory://b"
    assert (await api("POST", "storage/name/lake/reveal"))[1]["credentials"] == {
        "key": "AKIA-1",
        "secret": "s-1",
    }
    code, edited = await api("PATCH", "storage/name/lake", {"credentials": {"key": "AKIA-2"}})
    assert code == 200 and "AKIA" not in json.dumps(edited)
    assert (await api("POST", "storage/name/lake/reveal"))[1]["credentials"] == {"key": "AKIA-2"}
    assert (await api("PATCH", "storage/name/lake", {"credentials": {}}))[1]["credentials"] == {}
    code, err = await api("PATCH", "storage/name/lake", {"url": "nosuch://x"})
    assert code == 422 and err["field"] == "url"
    assert (await api("PATCH", "storage/name/nope", {"url": "memory://c"}))[0] == 404
    code, err = await api("PATCH", "storage/name/lake", {"name": "other"})
    assert code == 422  # the name is the address, not a field to change
