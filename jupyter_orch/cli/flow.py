"""Prefect's `prefect.cli.flow` module: where `prefect flow serve` finds `Runner`.

Our command for serving a flow is `jupyter orch flow serve`; this module keeps Prefect's import
path (`from prefect.cli.flow import Runner`, and tests patching `prefect.cli.flow.Runner.start`)
answering the one Runner class `flow.serve(...)` uses.
"""

from jupyter_orch.runner import Runner

__all__ = ["Runner"]
