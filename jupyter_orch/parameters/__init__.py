"""Flow and notebook parameters in one place, below orchestration: schemas and validation.

- `signature`: a Python flow's schema and call validation from its signature (pydantic);
- `cell`: a notebook's `parameters` cell as a JSON schema (read with `ast`, never executed);
- `validation`: values checked against a stored schema with jsonschema, CLI/form strings coerced;
- `values`: parameter values in their JSON form; `errors`: the ParameterError they all raise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_orch.parameters.errors import ParameterError, ParameterValidationError
from jupyter_orch.parameters.signature import ParameterModel
from jupyter_orch.parameters.values import is_json, jsonable

if TYPE_CHECKING:  # for type checkers; at run time __getattr__ imports them
    from jupyter_orch.parameters.cell import find_parameters_cell, parameter_schema
    from jupyter_orch.parameters.validation import validate_parameters

__all__ = [
    "ParameterError",
    "ParameterModel",
    "ParameterValidationError",
    "find_parameters_cell",
    "is_json",
    "jsonable",
    "parameter_schema",
    "validate_parameters",
]


def __getattr__(name: str) -> Any:
    """The notebook side (a parameters cell, a stored schema) on first use: a Python flow needs
    only its signature's model, so `from jupyter_orch import flow` does not load them."""
    if name in ("find_parameters_cell", "parameter_schema"):
        from jupyter_orch.parameters import cell  # lazy: notebooks only (see the docstring)

        return getattr(cell, name)
    if name == "validate_parameters":
        from jupyter_orch.parameters.validation import validate_parameters  # lazy: stored schemas only

        return validate_parameters
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
