"""Prefect's `prefect.concurrency.v1`: task-run concurrency limits by tag, held by a task run
(`sync` and `asyncio`: the slot functions the engine calls, `_acquire_concurrency_slots` and
`_release_concurrency_slots`, under Prefect's names)."""
