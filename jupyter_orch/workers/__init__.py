"""Workers: claim runs from a work pool and execute each in its own process."""
