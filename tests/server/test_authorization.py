"""An authorizer that refuses the `orch` resource: every route answers 403."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer

from jupyter_orch.api.table import route_table


class DenyOrch(Authorizer):
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "orch"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {**jp_server_config, "ServerApp": {**jp_server_config["ServerApp"], "authorizer_class": DenyOrch}}


async def test_every_route_is_authorized_on_the_orch_resource(api):
    for route in route_table().routes:
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)
        body = {} if route.method in ("POST", "PATCH", "PUT") else None
        status, err = await api(route.method, path, body=body)
        assert status == 403, (route.method, route.path, status, err)
        assert err["error"] == "forbidden"
