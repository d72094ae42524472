"""Running calls on a background event loop (`prefect._internal.concurrency`)."""
