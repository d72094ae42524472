"""Small helpers with Prefect's module names (`jupyter_orch.utilities.annotations`, ...)."""
