"""`jupyter orch ...`: the command line, talking to a server or straight to the database."""

from jupyter_orch.cli.app import main

__all__ = ["main"]
