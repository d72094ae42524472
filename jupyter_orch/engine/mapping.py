"""`Task.map`'s argument expansion: which arguments are iterated and which are passed whole.

As Prefect does it: an argument is iterated when it is iterable (strings, bytes and files are
not; a dict iterates its keys), unless wrapped in `unmapped`; `allow_failure(...)` and `quote(...)`
around an iterable are applied to each element; defaults are never iterated; a future (or a
state) given as an argument is resolved first, so its result can be mapped over; the keywords
gathered by a `**kwargs` parameter are mapped each as a parameter is.
"""

from __future__ import annotations

import inspect
import io
from typing import Any

from jupyter_orch.annotations import BaseAnnotation, allow_failure, mapped_item, quote, unmapped
from jupyter_orch.engine.futures import PrefectFuture
from jupyter_orch.exceptions import MappingLengthMismatch, MappingMissingIterable
from jupyter_orch.states import State

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def is_iterable(value: Any) -> bool:
    """Iterable, and not one of the types that are iterable but used as single values."""
    if isinstance(value, (str, bytes, io.IOBase)):
        return False
    try:
        iter(value)
    except TypeError:
        return False
    return True


def expand(
    name: str, signature: inspect.Signature, args: tuple, kwargs: dict[str, Any]
) -> list[dict[str, Any]]:
    """The parameters of each mapped run of task `name`, in order."""
    arguments = signature.bind(*args, **kwargs).arguments
    var_keyword = _var_keyword(signature)
    if var_keyword in arguments:  # each keyword of **kwargs is mapped (or not) as a parameter is
        arguments = {**{k: v for k, v in arguments.items() if k != var_keyword}, **arguments[var_keyword]}
    iterables, static, annotations = _split(signature, arguments)
    if not iterables:
        raise MappingMissingIterable(
            f"{name}.map() received no iterable parameters: parameters for map must include at "
            f"least one iterable (got {sorted(arguments)})"
        )
    count = _common_length(name, iterables)
    static = {**_defaults(signature, arguments), **static}
    return [_params_at(i, signature, static, iterables, annotations) for i in range(count)]


def _split(
    signature: inspect.Signature, arguments: dict[str, Any]
) -> tuple[dict[str, list[Any]], dict[str, Any], dict[str, BaseAnnotation]]:
    """The bound arguments as (iterated, passed whole, annotations to re-apply per element)."""
    variadic = {p.name for p in signature.parameters.values() if p.kind in _VARIADIC}
    iterables: dict[str, list[Any]] = {}
    static: dict[str, Any] = {}
    annotations: dict[str, BaseAnnotation] = {}
    for key, value in arguments.items():
        if isinstance(value, (allow_failure, quote)):
            annotations[key] = value
            value = value.unwrap()
        given, source = value, None
        if isinstance(value, (PrefectFuture, State)):
            source = value._task_run_id if isinstance(value, PrefectFuture) else value.task_run_id
            # under allow_failure a failed upstream is passed whole (its exception), not raised
            value = value.result(raise_on_failure=not isinstance(annotations.get(key), allow_failure))
        if isinstance(value, unmapped):
            static[key] = value.value
        elif key not in variadic and is_iterable(value):
            # a run's result mapped over: each element keeps that run as its run's upstream
            iterables[key] = [mapped_item(v, source) for v in value] if source else list(value)
        else:
            static[key] = given  # a future passed whole is resolved by each run (its upstream)
    return iterables, static, annotations


def _common_length(name: str, iterables: dict[str, list[Any]]) -> int:
    """The one length all iterated arguments share; MappingLengthMismatch if they differ."""
    lengths = {key: len(values) for key, values in iterables.items()}
    if len(set(lengths.values())) > 1:
        raise MappingLengthMismatch(
            f"{name}.map() received iterable parameters with different lengths: parameters for "
            f"map must all be the same length (got lengths {lengths})"
        )
    return next(iter(lengths.values()))


def _defaults(signature: inspect.Signature, arguments: dict[str, Any]) -> dict[str, Any]:
    """The defaults of the parameters not given (never iterated)."""
    return {
        p.name: p.default
        for p in signature.parameters.values()
        if p.default is not inspect.Parameter.empty and p.name not in arguments
    }


def _params_at(
    i: int,
    signature: inspect.Signature,
    static: dict[str, Any],
    iterables: dict[str, list[Any]],
    annotations: dict[str, BaseAnnotation],
) -> dict[str, Any]:
    """The parameters of the `i`-th mapped run, in signature order."""
    params = dict(static)
    for key, values in iterables.items():
        params[key] = values[i]
    for key, annotation in annotations.items():
        params[key] = annotation.rewrap(params[key])
    return _in_signature_order(signature, params)


def _var_keyword(signature: inspect.Signature) -> str | None:
    """The name of the `**kwargs` parameter, if any."""
    kinds = ((p.name, p.kind) for p in signature.parameters.values())
    return next((name for name, kind in kinds if kind is inspect.Parameter.VAR_KEYWORD), None)


def _in_signature_order(signature: inspect.Signature, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters in signature order, the keywords of **kwargs gathered under its name."""
    ordered = {name: params[name] for name in signature.parameters if name in params}
    extra = {key: value for key, value in params.items() if key not in signature.parameters}
    if extra:
        ordered[_var_keyword(signature)] = extra  # type: ignore[index]
    return ordered
