"""Prefect's `prefect.types` names that user code and deployments refer to."""
