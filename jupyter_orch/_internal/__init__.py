"""Internals named as Prefect names them (`prefect._internal`)."""
