"""Saved configuration objects under Prefect's names (`prefect.blocks.system.Secret`)."""
