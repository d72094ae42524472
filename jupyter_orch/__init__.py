"""jupyter-orch: workflow orchestration that lives inside Jupyter."""

__version__ = "0.1.0"
