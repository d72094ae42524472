"""Notebook building blocks: parameter schemas, cell dependencies, papermill execution, warm kernels.

Submodules are imported lazily by callers; `parameters` stays free of Jupyter imports so the
engine can validate flow parameters without loading papermill or IPython.
"""
