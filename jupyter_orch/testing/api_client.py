"""HTTP clients of the orchestration API served in this process, as Prefect's test suite has them:
the `client` fixture (an `httpx.AsyncClient`) and `sync_client` (an `httpx.Client`) send
`GET /artifacts/{id}`, `POST /flow_runs`, ... (paths relative to the API root) through the same
operations a server runs, against the database this process reports to, without a server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from jupyter_orch.client import ApiError, get_client, json_default

BASE_URL = "http://orch.test/api"


def _answer(request: httpx.Request) -> httpx.Response:
    client = get_client()
    client.flush()  # what runs buffered is written before it is read
    path = request.url.path.removeprefix(httpx.URL(BASE_URL).path).strip("/")
    query = dict(request.url.params) or None
    body = json.loads(request.content) if request.content else None
    try:
        answer = client.request(request.method, path, query, body)
    except ApiError as exc:
        error = {"error": exc.code, "message": exc.message, "field": exc.field}
        return httpx.Response(exc.status, json=error)
    if answer is None:
        return httpx.Response(204)
    content = json.dumps(answer, default=json_default).encode()
    return httpx.Response(200, content=content, headers={"content-type": "application/json"})


async def _answer_async(request: httpx.Request) -> httpx.Response:
    await request.aread()
    return _answer(request)


def api_client() -> httpx.AsyncClient:
    """An `httpx.AsyncClient` of the API in this process."""
    return httpx.AsyncClient(transport=httpx.MockTransport(_answer_async), base_url=BASE_URL)


def sync_api_client() -> httpx.Client:
    """An `httpx.Client` of the API in this process."""
    return httpx.Client(transport=httpx.MockTransport(_answer), base_url=BASE_URL)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client() as http:
        yield http


@pytest.fixture
def sync_client() -> Iterator[httpx.Client]:
    with sync_api_client() as http:
        yield http


__all__ = ["api_client", "client", "sync_api_client", "sync_client"]
