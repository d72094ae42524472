"""Prefect's `prefect.concurrency`: hold slots of named global concurrency limits around a block.

`with concurrency("db", occupy=1): ...` (`jupyter_orch.concurrency.sync`) and `async with
concurrency("db"): ...` (`jupyter_orch.concurrency.asyncio`) wait until every named limit has
free slots, hold them for the block and give them back after, however the block ends;
`rate_limit("api")` takes slots that free themselves at the limit's `slot_decay_per_second`. The
limits are global concurrency limits (Prefect's v2: `PrefectClient.create_global_concurrency_limit`,
the API's `/v2/concurrency_limits`); a name without one never waits unless `strict=True`.
`jupyter_orch.concurrency.v1` has Prefect's tag-limit functions (what task runs hold by tag)."""
