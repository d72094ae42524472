"""Notebook building blocks: cell dependencies, papermill execution, warm kernels, snapshots.

Submodules are imported lazily by callers. Parameter schemas of a `parameters` cell live in
`jupyter_orch.parameters`, below orchestration, so the store validates without this package.
"""
