"""Routes and the dispatcher that turns (method, path, query, body) into an operation call.

A `Route` names everything about an operation once: method, path pattern, the function, the
pydantic models of its parameters (path + query) and body, its response type and status. The
tornado handlers, the client's in-process transport and the OpenAPI generator all read the same
`Route` objects.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from jupyter_orch.api.errors import Malformed, MethodNotAllowed, PayloadTooLarge, from_validation_error
from jupyter_orch.orchestration import run_writer
from jupyter_orch.orchestration.errors import Invalid, NotFound
from jupyter_orch.settings import limits

#: jupyter_server's mapping of HTTP methods to authorization actions (auth.decorator).
AUTH_ACTIONS = {
    "GET": "read",
    "HEAD": "read",
    "OPTIONS": "read",
    "POST": "write",
    "PATCH": "write",
    "PUT": "write",
    "DELETE": "write",
}
_PARAM = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Route:
    """One API operation.

    `operation(session, params)` or `operation(session, params, body)` returns something JSON-able;
    `params` is an instance of the `params` model (path and query parameters together), `body` of
    the `body` type. Names in `{}` in `path` are path parameters and must be fields of `params`.
    """

    method: str
    path: str
    operation: Callable[..., Any]
    summary: str
    tag: str
    params: type[BaseModel] | None = None
    body: Any = None
    response: Any = None
    status: int = 200
    #: run in a write transaction (SQLite: BEGIN IMMEDIATE); default: any method but GET
    write: bool | None = None
    #: the same operation as plain SQL, `plain(conn, dialect, params, body)` on a SQLite DB-API
    #: connection in a write transaction, for the writer's lone requests; it answers `PASS` when
    #: the request needs the store (an existence check, a state-change hook with work)
    plain: Callable[..., Any] | None = None
    #: carries many records at once (logs, task-run batches): its body may be up to
    #: `Limits.max_batch_body_bytes` instead of `max_body_bytes`
    batch: bool = False

    @property
    def action(self) -> str:
        return AUTH_ACTIONS[self.method]

    @property
    def max_body(self) -> int:
        """The largest body accepted, in bytes (a setting: `jupyter_orch.settings.Limits`)."""
        current = limits()
        return current.max_batch_body_bytes if self.batch else current.max_body_bytes

    @property
    def writes(self) -> bool:
        return self.method != "GET" if self.write is None else self.write

    @cached_property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile("^" + _PARAM.sub(r"(?P<\1>[^/]+)", self.path) + "$")

    @cached_property
    def tornado_pattern(self) -> str:
        return _PARAM.sub(r"(?P<\1>[^/]+)", self.path)

    @cached_property
    def body_adapter(self) -> TypeAdapter[Any] | None:
        return TypeAdapter(self.body) if self.body is not None else None

    @cached_property
    def list_params(self) -> frozenset[str]:
        """Query parameters that may repeat (their type is a list)."""
        if self.params is None:
            return frozenset()
        return frozenset(n for n, f in self.params.model_fields.items() if _is_list(f.annotation))

    def sort_key(self) -> tuple[Any, ...]:
        """Literal segments before parameters, so /flow_runs/counts wins over /flow_runs/{id}."""
        return tuple((s.startswith("{"), s) for s in self.path.strip("/").split("/"))


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType) or origin is typing.Annotated:
        return any(_is_list(a) for a in typing.get_args(annotation))
    return False


class RouteTable:
    """The routes of the API, matched in a stable order."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes: list[Route] = sorted(routes, key=lambda r: (r.sort_key(), r.method))
        seen: set[tuple[str, str]] = set()
        for r in self.routes:
            if (r.method, r.path) in seen:
                raise ValueError(f"duplicate route {r.method} {r.path}")
            seen.add((r.method, r.path))
            missing = set(r.path_params) - set(r.params.model_fields if r.params else ())
            if missing:
                raise ValueError(f"{r.method} {r.path}: path parameters {missing} not in params model")

    def operation_ids(self) -> dict[Route, str]:
        """Unique OpenAPI operation ids: the function name, prefixed by the tag where names clash."""
        names = [r.operation.__name__ for r in self.routes]
        ids = {
            r: (f"{r.tag}_{n}" if names.count(n) > 1 else n) for r, n in zip(self.routes, names, strict=True)
        }
        if len(set(ids.values())) != len(ids):
            raise ValueError("operation ids are not unique even with their tags")
        return ids

    def by_path(self) -> dict[str, dict[str, Route]]:
        """{path pattern: {method: route}} in matching order (one tornado handler per path)."""
        out: dict[str, dict[str, Route]] = {}
        for r in self.routes:
            out.setdefault(r.path, {})[r.method] = r
        return out

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = False
        for r in self.routes:
            m = r.regex.match(path)
            if m is None:
                continue
            if r.method == method:
                return r, m.groupdict()
            allowed = True
        if allowed:
            raise MethodNotAllowed(f"{method} is not allowed on {path}")
        raise NotFound(f"no API route {path}")


def check_text(value: Any, where: str = "") -> None:
    """Refuse NUL characters and lone surrogates anywhere: databases cannot store them as text."""
    if isinstance(value, str):
        if "\x00" in value:
            raise Invalid(f"{where or 'value'}: NUL characters are not allowed", field=where or None)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800") is valid JSON but not storable text
            raise Invalid(
                f"{where or 'value'}: invalid Unicode (lone surrogate)", field=where or None
            ) from None
    elif isinstance(value, dict):
        for k, v in value.items():
            check_text(k, where)
            check_text(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_text(v, f"{where}.{i}" if where else str(i))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes | str) -> Any:
    """Strict JSON (no NaN/Infinity) or `Malformed`; nesting too deep to parse is a 422."""
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        depth = limits().max_json_depth
        raise Invalid(
            f"body: JSON nested too deeply (free-form values may nest {depth} levels)", field="body"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"request body is not valid JSON: {exc}") from exc


def check_body_size(route: Route, size: int) -> None:
    """A body larger than the route takes is a 413 (`Limits.max_body_bytes`/`max_batch_body_bytes`)."""
    limit = route.max_body
    if size > limit:
        setting = "max_batch_body_bytes" if route.batch else "max_body_bytes"
        raise PayloadTooLarge(
            f"body: {size} bytes, more than the {limit} accepted (the {setting} limit)", field="body"
        )


def parse_params(route: Route, path_args: Mapping[str, str], query: Mapping[str, list[str]]) -> Any:
    """Path and query parameters validated by the route's `params` model (repeatable ones as lists)."""
    if route.params is None:
        return None
    data: dict[str, Any] = {}
    names = route.params.model_fields
    for key, values in query.items():
        if key not in names or key in route.path_params or not values:
            continue  # unknown query parameters (e.g. `token`) are ignored
        data[key] = list(values) if key in route.list_params else values[-1]
    data.update(path_args)
    check_text(data)
    try:
        return route.params.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


def parse_body(route: Route, body: Any) -> Any:
    """The body (already decoded JSON, or raw bytes) validated by the route's body type."""
    if route.body_adapter is None:
        return None
    if isinstance(body, (bytes, str)):
        body = parse_json(body) if body else None
    if body is None:
        raise Invalid("a JSON request body is required", field=None)
    check_text(body)
    try:
        return route.body_adapter.validate_python(body)
    except ValidationError as exc:
        raise from_validation_error(exc) from exc


#: what a `Route.plain` operation answers when the request must go through the store
PASS = run_writer.PASS


def call(route: Route, session: Session, params: Any, body: Any) -> Any:
    """Run the operation in `session` (the caller owns the transaction)."""
    args: list[Any] = [session, params]
    if route.body is not None:
        args.append(body)
    elif route.params is None:
        args.pop()
    return route.operation(*args)


def bind_plain(route: Route, params: Any, body: Any) -> Callable[[Any, Any], Any] | None:
    """`route.plain` with a request's arguments bound: `f(conn, dialect)`, or None without one."""
    plain = route.plain
    if plain is None:
        return None
    return lambda conn, dialect: plain(conn, dialect, params, body)
