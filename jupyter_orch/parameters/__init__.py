"""Flow and notebook parameters in one place, below orchestration: schemas and validation.

- `signature`: a Python flow's schema and call validation from its signature (pydantic);
- `cell`: a notebook's `parameters` cell as a JSON schema (read with `ast`, never executed);
- `validation`: values checked against a stored schema with jsonschema, CLI/form strings coerced;
- `values`: parameter values in their JSON form; `errors`: the ParameterError they all raise.
"""

from jupyter_orch.parameters.cell import find_parameters_cell, parameter_schema
from jupyter_orch.parameters.errors import ParameterError, ParameterValidationError
from jupyter_orch.parameters.signature import ParameterModel
from jupyter_orch.parameters.validation import validate_parameters
from jupyter_orch.parameters.values import is_json, jsonable

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
