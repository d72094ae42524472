"""GET /health: liveness, the database backend and the state of background services."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import Session

from jupyter_orch.api.routing import Route
from jupyter_orch.version import __version__


class HealthOut(BaseModel):
    status: str
    version: str
    database: str
    services: dict[str, Any]


def read_health(session: Session) -> dict[str, Any]:
    session.execute(text("SELECT 1"))
    services = session.info.get("services")
    return {
        "status": "ok",
        "version": __version__,
        "database": "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite",
        "services": services() if callable(services) else {},
    }


ROUTES = [Route("GET", "/health", read_health, "Server health", "health", response=HealthOut)]
