"""Configuration read from the environment (the server may override it through traitlets)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "JUPYTER_ORCH_HOME"
DATABASE_URL_ENV = "JUPYTER_ORCH_DATABASE_URL"
API_URL_ENV = "JUPYTER_ORCH_API_URL"
API_TOKEN_ENV = "JUPYTER_ORCH_API_TOKEN"


@dataclass(frozen=True)
class Settings:
    """A snapshot of the settings; read again with :func:`get_settings` when the environment changes."""

    home: Path
    database_url: str
    api_url: str | None
    api_token: str | None

    @property
    def results_dir(self) -> Path:
        return self.home / "results"

    @property
    def outputs_dir(self) -> Path:
        return self.home / "outputs"

    @property
    def deployments_dir(self) -> Path:
        return self.home / "deployments"

    def as_dict(self, reveal_secrets: bool = False) -> dict[str, str | None]:
        token = self.api_token
        if token and not reveal_secrets:
            token = "********"
        return {
            HOME_ENV: str(self.home),
            DATABASE_URL_ENV: redact_url(self.database_url) if not reveal_secrets else self.database_url,
            API_URL_ENV: self.api_url,
            API_TOKEN_ENV: token,
        }


def redact_url(url: str) -> str:
    """Hide a password in a database URL so it can be printed or logged."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"


def get_settings() -> Settings:
    home = Path(os.environ.get(HOME_ENV) or Path.home() / ".jupyter_orch").expanduser()
    url = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{home / 'orch.db'}"
    return Settings(
        home=home,
        database_url=url,
        api_url=(os.environ.get(API_URL_ENV) or None),
        api_token=(os.environ.get(API_TOKEN_ENV) or None),
    )
