"""Prefect's `prefect.concurrency`: hold slots of named concurrency limits around a block.

`with concurrency("db", occupy=1): ...` (`jupyter_orch.concurrency.sync`) and `async with
concurrency("db"): ...` (`jupyter_orch.concurrency.asyncio`) wait until every named limit has a free
slot, hold it for the block and free it after, however the block ends. The limits are the ones
`jupyter orch concurrency-limit create NAME LIMIT` makes (the same ones that limit task runs by
tag); a name without a limit never waits. `jupyter_orch.concurrency.v1` has Prefect's tag-limit
functions under their names."""
