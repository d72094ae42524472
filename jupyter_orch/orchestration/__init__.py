"""Orchestration: the state-transition rules and the store functions that read and write runs."""
