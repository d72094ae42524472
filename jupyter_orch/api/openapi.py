"""The OpenAPI 3.1 document, generated from the route table and the routes' pydantic models."""

from __future__ import annotations

import copy
import json
import sys
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from jupyter_orch.api.event_schema import EVENTS_PATH, EventOut, events_operation
from jupyter_orch.api.models import ErrorOut
from jupyter_orch.api.routing import Route
from jupyter_orch.api.table import PREFIX, route_table
from jupyter_orch.version import __version__

REF = "#/components/schemas/{model}"
ERRORS = {
    "400": "Malformed JSON or query",
    "401": "Not authenticated",
    "403": "Not authorized",
    "404": "Unknown id, name or path",
    "409": "Conflict with existing data",
    "422": "Invalid value; `field` names it",
}


def _schemas(routes: list[Route]) -> tuple[dict[tuple[Any, ...], Any], dict[str, Any]]:
    inputs: list[tuple[Any, Any, TypeAdapter[Any]]] = [
        (("error",), "serialization", TypeAdapter(ErrorOut)),
        (("event",), "serialization", TypeAdapter(EventOut)),
    ]
    for r in routes:
        if r.params is not None:
            inputs.append(((r.method, r.path, "params"), "validation", TypeAdapter(r.params)))
        if r.body is not None:
            inputs.append(((r.method, r.path, "body"), "validation", TypeAdapter(r.body)))
        if r.response is not None:
            inputs.append(((r.method, r.path, "response"), "serialization", TypeAdapter(r.response)))
    mapping, defs = TypeAdapter.json_schemas(inputs, ref_template=REF)
    return {key: schema for (key, _mode), schema in mapping.items()}, defs.get("$defs", {})


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _parameters(route: Route, schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, defs)
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = copy.deepcopy(prop)
        desc = prop.pop("description", None)
        prop.pop("title", None)
        if prop.get("default", 0) is None:
            del prop["default"]
        options = [o for o in prop.get("anyOf", ()) if o != {"type": "null"}]
        if "anyOf" in prop and len(options) == 1:  # a query parameter is absent, never null
            del prop["anyOf"]
            prop.update(options[0])
        where = "path" if name in route.path_params else "query"
        param: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": prop,
        }
        if name in route.list_params:
            param.update(style="form", explode=True)
        if desc:
            param["description"] = desc
        out.append(param)
    return out


@cache
def openapi_document() -> dict[str, Any]:
    table = route_table()
    mapping, defs = _schemas(table.routes)
    paths: dict[str, dict[str, Any]] = {}
    operation_ids = table.operation_ids()
    for r in table.routes:
        op: dict[str, Any] = {
            "operationId": operation_ids[r],
            "summary": r.summary,
            "description": (r.operation.__doc__ or r.summary).strip(),
            "tags": [r.tag],
            "x-jupyter-auth": {"resource": "orch", "action": r.action},
        }
        if r.params is not None:
            op["parameters"] = _parameters(r, mapping[(r.method, r.path, "params")], defs)
        if r.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": mapping[(r.method, r.path, "body")]}},
            }
        ok: dict[str, Any] = {"description": "OK" if r.status != 201 else "Created"}
        if r.status != 204 and r.response is not None:
            ok["content"] = {"application/json": {"schema": mapping[(r.method, r.path, "response")]}}
        if r.status == 204:
            ok["description"] = "Deleted"
        error = {"content": {"application/json": {"schema": mapping[("error",)]}}}
        op["responses"] = {
            str(r.status): ok,
            **{code: {"description": d, **error} for code, d in ERRORS.items()},
        }
        if r.body is not None:
            limit = "max_batch_body_bytes" if r.batch else "max_body_bytes"
            op["responses"]["413"] = {"description": f"Body larger than the `{limit}` limit", **error}
        paths.setdefault(PREFIX + r.path, {})[r.method.lower()] = op
    event_ref, error_ref = mapping[("event",)]["$ref"], mapping[("error",)]["$ref"]
    paths[PREFIX + EVENTS_PATH] = {"get": events_operation(event_ref, error_ref)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "jupyter-orch",
            "version": __version__,
            "description": "Workflow orchestration inside Jupyter. Authenticate with the Jupyter server's "
            "token: `Authorization: token <TOKEN>`.",
        },
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "jupyterToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`token <TOKEN>`",
                }
            },
        },
        "security": [{"jupyterToken": []}],
    }


def main() -> None:
    """Print the document: `python -m jupyter_orch.api.openapi > labextension/openapi.json`.

    The JupyterLab extension generates its TypeScript types from that committed file at build time.
    """
    json.dump(openapi_document(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
