"""Prefect's `prefect.server.schemas.filters`: the client's filters, which describe the same reads."""

from jupyter_orch.client.schemas.filters import *  # noqa: F403
from jupyter_orch.client.schemas.filters import __all__  # noqa: F401
