"""Prefect's `prefect.server.schemas` names code written for Prefect reads API answers with:
`core` (records: `Artifact`, `TaskRunResult`), `actions` (what creating takes: `ArtifactCreate`),
`filters` and `sorting` (what the reads take). They are the client's schemas, which describe
the same JSON."""

from jupyter_orch.server.schemas import actions, core, filters, sorting

__all__ = ["actions", "core", "filters", "sorting"]
