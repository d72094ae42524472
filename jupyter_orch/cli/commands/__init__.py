"""One module per top-level command; see `jupyter_orch.cli.app.COMMAND_MODULES`."""
