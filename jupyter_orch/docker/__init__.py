"""Prefect's `prefect.docker`: work pools here run processes, so images are refused by name."""
