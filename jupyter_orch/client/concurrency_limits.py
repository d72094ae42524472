"""Prefect's client methods for concurrency limits, mixed into `SyncPrefectClient` (and, as
coroutines, `PrefectClient`): tag limits (`read_concurrency_limits`, ...), answered as Prefect's
`ConcurrencyLimit` objects (`tag`, `concurrency_limit`, `active_slots` as the holders' ids)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from jupyter_orch.client import OrchClient
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
