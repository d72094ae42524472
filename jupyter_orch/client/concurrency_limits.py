"""Prefect's client methods for concurrency limits, mixed into `SyncPrefectClient` (and, as
coroutines, `PrefectClient`): tag limits (`read_concurrency_limits`, ...), answered as Prefect's
`ConcurrencyLimit` objects (`tag`, `concurrency_limit`, `active_slots` as the holders' ids), and
global limits (`create_global_concurrency_limit`, `read_global_concurrency_limit_by_name`, ...)
as `GlobalConcurrencyLimitResponse`."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from jupyter_orch.client import OrchClient
from jupyter_orch.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from jupyter_orch.client.schemas.responses import GlobalConcurrencyLimitResponse
from jupyter_orch.client.transport import ApiError
from jupyter_orch.exceptions import ObjectNotFound
from jupyter_orch.states import _parse_dt


def _tag_limit(row: dict[str, Any]) -> SimpleNamespace:
    """A tag limit as Prefect's `ConcurrencyLimit`: its holders (task run ids) are `active_slots`."""
    return SimpleNamespace(
        id=uuid.UUID(row["id"]),
        tag=row["tag"],
        concurrency_limit=row["concurrency_limit"],
        active_slots=[uuid.UUID(h) for h in row.get("active_holders", [])],
        created=_parse_dt(row.get("created")),
        updated=_parse_dt(row.get("updated")),
    )


class ConcurrencyLimitMethods:
    """Tag concurrency limits through `self.orch` (the `OrchClient` of the Prefect client)."""

    orch: OrchClient

    def create_concurrency_limit(self, tag: str, concurrency_limit: int) -> uuid.UUID:
        """Create the limit on `tag` (or change it); its id."""
        row = self.orch.post("concurrency_limits", {"tag": tag, "concurrency_limit": concurrency_limit})
        return uuid.UUID(row["id"])

    def read_concurrency_limits(self, limit: int = 200, offset: int = 0) -> list[SimpleNamespace]:
        rows = self.orch.list_concurrency_limits()
        return [_tag_limit(row) for row in rows[offset : offset + limit]]

    def read_concurrency_limit_by_tag(self, tag: str) -> SimpleNamespace:
        """The limit on `tag`; `ObjectNotFound` when there is none (Prefect's)."""
        for row in self.orch.list_concurrency_limits():
            if row["tag"] == tag:
                return _tag_limit(row)
        raise ObjectNotFound(f"No concurrency limit on tag {tag!r}")

    def delete_concurrency_limit_by_tag(self, tag: str) -> None:
        self.orch.delete(f"concurrency_limits/{tag}")

    # -- global concurrency limits (v2) -------------------------------------------------------------
    def create_global_concurrency_limit(self, concurrency_limit: GlobalConcurrencyLimitCreate) -> uuid.UUID:
        row = self.orch.post("v2/concurrency_limits", concurrency_limit.model_dump(exclude_none=True))
        return uuid.UUID(row["id"])

    def read_global_concurrency_limit_by_name(self, name: str) -> GlobalConcurrencyLimitResponse:
        """The limit named `name`; `ObjectNotFound` when there is none (Prefect's)."""
        try:
            row = self.orch.get(f"v2/concurrency_limits/{quote(name, safe='')}")
        except ApiError as exc:
            if exc.status == 404:
                raise ObjectNotFound(f"No global concurrency limit named {name!r}") from exc
            raise
        return GlobalConcurrencyLimitResponse(**row)

    def read_global_concurrency_limits(
        self, limit: int = 10, offset: int = 0
    ) -> list[GlobalConcurrencyLimitResponse]:
        rows = self.orch.get("v2/concurrency_limits", limit=limit, offset=offset)["items"]
        return [GlobalConcurrencyLimitResponse(**row) for row in rows]

    def update_global_concurrency_limit(
        self, name: str, concurrency_limit: GlobalConcurrencyLimitUpdate
    ) -> Any:
        fields = concurrency_limit.model_dump(exclude_unset=True)
        return self.orch.patch(f"v2/concurrency_limits/{quote(name, safe='')}", fields)

    def delete_global_concurrency_limit_by_name(self, name: str) -> Any:
        try:
            return self.orch.delete(f"v2/concurrency_limits/{quote(name, safe='')}")
        except ApiError as exc:
            if exc.status == 404:
                raise ObjectNotFound(f"No global concurrency limit named {name!r}") from exc
            raise

    def increment_concurrency_slots(self, names: list[str], slots: int, mode: str = "concurrency") -> Any:
        """Take `slots` of each named limit (all or none): the API's answer (`acquired`, `limits`)."""
        return self.orch.post(
            "v2/concurrency_limits/increment", {"names": list(names), "slots": slots, "mode": mode}
        )

    def release_concurrency_slots(self, names: list[str], slots: int, occupancy_seconds: float) -> Any:
        body = {"names": list(names), "slots": slots, "occupancy_seconds": occupancy_seconds}
        return self.orch.post("v2/concurrency_limits/decrement", body)
