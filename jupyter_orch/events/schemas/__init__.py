"""Prefect's `prefect.events.schemas`: the event model (`events`)."""
