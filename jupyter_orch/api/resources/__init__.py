"""One module per REST resource; each contributes a `ROUTES` list to `jupyter_orch.api.table`."""
