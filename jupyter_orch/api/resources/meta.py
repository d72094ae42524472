"""GET /openapi.json: the OpenAPI document, generated from the route table itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from jupyter_orch.api.routing import Route


def read_openapi(session: Session) -> dict[str, Any]:
    # circle: the OpenAPI document reads the route table, which lists this module's routes
    from jupyter_orch.api.openapi import openapi_document

    return openapi_document()


ROUTES = [
    Route(
        "GET",
        "/openapi.json",
        read_openapi,
        "This API's OpenAPI 3.1 document",
        "meta",
        response=dict[str, object],
    )
]
