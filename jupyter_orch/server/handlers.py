"""Tornado handlers: one base class with the single error mapper, one handler per route path.

Every handler is authenticated (`@web.authenticated`) and authorized (`@authorized`, resource
`orch`, action from the HTTP method). Database work never runs on the event loop: reads in a thread
pool, writes on the group-commit writer thread (`jupyter_orch.api.writer`), which answers a request
only once the transaction holding its write has committed.

While the extension stops (`stopping` is set), its writer, thread pool and database go away under
requests still arriving on kept-alive connections; those are answered 503 with `Retry-After`
(`Unavailable`), never 500, so that clients send them again to a server that is up.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import Executor
from functools import partial
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from jupyter_orch.api.database import Database
from jupyter_orch.api.errors import MethodNotAllowed, Unavailable, error_body, to_orch_error
from jupyter_orch.api.routing import Route, bind_plain, call, check_body_size, parse_body, parse_params
from jupyter_orch.api.table import PREFIX, route_table
from jupyter_orch.api.writer import GroupCommitWriter
from jupyter_orch.orchestration.errors import NotFound

AUTH_RESOURCE = "orch"
HTTP_CODES = {
    400: "malformed",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    503: "unavailable",
}


def _dispatcher(method: str) -> Any:
    """The handler method of an HTTP method: authenticated, authorized, then `dispatch(method)`."""

    @web.authenticated
    @authorized
    async def handle(self: OrchHandler, **path_args: str) -> None:
        await self.dispatch(method, **path_args)

    handle.__name__ = handle.__qualname__ = method.lower()
    return handle


class OrchHandler(APIHandler):
    """Base of every REST handler: authentication, JSON errors, the route-table dispatch."""

    auth_resource = AUTH_RESOURCE

    def initialize(
        self,
        routes: dict[str, Route],
        database: Database,
        executor: Executor,
        writer: GroupCommitWriter | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        self.routes = routes
        self.database = database
        self.executor = executor
        self.writer = writer
        self.stopping = stopping or threading.Event()

    def get_login_url(self) -> str:
        # @web.authenticated calls this for an anonymous request: an API answers 401, not a redirect
        raise web.HTTPError(401)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors tornado raises itself (auth, unknown method) in the same JSON shape as ours."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exc, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": HTTP_CODES.get(status_code, "error"), "message": message}))

    def send_json(self, status: int, payload: Any, timing: list[tuple[str, float]] | None = None) -> None:
        """Answer `payload` as JSON. `timing` ((name, seconds) pairs) goes out as a Server-Timing
        header, with the time spent encoding as `json`: the UI benchmark reads it from the
        browser's Resource Timing to tell the server's share of a page's time from the rest."""
        self.set_status(status)
        if status == 204:
            self.finish()
            return
        self.set_header("Content-Type", "application/json")
        started = time.perf_counter()
        text = json.dumps(payload, default=str)
        if timing is not None:
            timing = [*timing, ("json", time.perf_counter() - started)]
            self.set_header("Server-Timing", ", ".join(f"{n};dur={s * 1000:.1f}" for n, s in timing))
        self.finish(text)

    async def dispatch(self, method: str, **path_args: str) -> None:
        try:
            if self.stopping.is_set():
                raise Unavailable("the server is stopping; send the request again")
            route = self.routes.get(method)
            if route is None:
                raise MethodNotAllowed(f"{method} is not allowed on {self.request.path}")
            query = {
                k: [v.decode("utf-8", "replace") for v in vs]
                for k, vs in self.request.query_arguments.items()
            }
            started = time.perf_counter()
            params = parse_params(route, path_args, query)
            check_body_size(route, len(self.request.body or b""))
            body = parse_body(route, self.request.body) if route.body is not None else None
            if route.writes and self.writer is not None:
                operation = partial(call, route, params=params, body=body)
                result = await self.writer.submit_async(operation, bind_plain(route, params, body))
            else:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(self.executor, self._run, route, params, body)
        except Exception as exc:
            self.send_error_of(method, exc)
            return
        # app: from parsing the request to the operation's answer (a thread or the writer's queue
        # included); the operation's own time, when it ran in a thread, is in `_run`'s `db`
        timing = [("app", time.perf_counter() - started), *self._timing]
        self.send_json(route.status, result, timing)

    def send_error_of(self, method: str, exc: Exception) -> None:
        """The one mapping of a failed request to its answer. A failure that is not an `OrchError`
        is a 500, except while the extension stops: then its cause is the stop (a stopped writer
        or thread pool, a disposed connection pool), and the answer is 503."""
        err = to_orch_error(exc)
        if err is None and self.stopping.is_set():
            self.log.info("jupyter_orch: %s %s failed while stopping: %r", method, self.request.path, exc)
            err = Unavailable("the server is stopping; send the request again")
        if err is None:
            self.log.exception("jupyter_orch: %s %s failed", method, self.request.path, exc_info=exc)
            self.send_json(500, {"error": "internal", "message": "internal server error; see the server log"})
            return
        if isinstance(err, Unavailable):
            self.set_header("Retry-After", str(err.retry_after))
        self.send_json(err.status, error_body(err))

    def _run(self, route: Route, params: Any, body: Any) -> Any:
        started = time.perf_counter()
        with self.database.session(write=route.writes) as session:
            result = call(route, session, params, body)
        self._timing = [("db", time.perf_counter() - started)]
        return result

    #: Server-Timing entries of the operation itself, set by `_run` (none for the writer's)
    _timing: list[tuple[str, float]] = []

    # tornado calls these by the request's method: each authenticates, authorizes and dispatches
    get, post, patch, put, delete = (_dispatcher(m) for m in ("GET", "POST", "PATCH", "PUT", "DELETE"))


class UnknownRouteHandler(OrchHandler):
    """Anything else under the API prefix: a JSON 404 (after authentication, like every route)."""

    async def dispatch(self, method: str, **path_args: str) -> None:
        err = NotFound(f"no API route {self.request.path}")
        self.send_json(err.status, error_body(err))


DOCS_PAGE = {
    "swagger": """<!doctype html><html><head><meta charset="utf-8"><title>jupyter-orch API</title>
<link rel="stylesheet" href="{static}swagger-ui.css"></head><body><div id="ui"></div>
<script src="{static}swagger-ui-bundle.js"></script><script>
function xsrf() {{ const m = document.cookie.match('\\\\b_xsrf=([^;]*)\\\\b'); return m ? m[1] : ''; }}
SwaggerUIBundle({{url: "{spec}", dom_id: "#ui", deepLinking: true,
  requestInterceptor: (req) => {{ req.headers['X-XSRFToken'] = xsrf(); return req; }}}});
</script></body></html>""",
    "redoc": """<!doctype html><html><head><meta charset="utf-8"><title>jupyter-orch API</title></head>
<body><redoc spec-url="{spec}"></redoc><script src="{static}redoc.standalone.js"></script></body></html>""",
}


class DocsHandler(JupyterHandler):
    """Swagger UI or ReDoc, with their assets served from the package (no external URLs)."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, page: str, static_url: str) -> None:
        self.page = page
        self.static_url_prefix = static_url

    @web.authenticated
    @authorized
    def get(self) -> None:
        spec = self.base_url.rstrip("/") + PREFIX + "/openapi.json"
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(DOCS_PAGE[self.page].format(static=self.static_url_prefix, spec=spec))


def api_handlers(
    database: Database,
    executor: Executor,
    writer: GroupCommitWriter | None = None,
    stopping: threading.Event | None = None,
) -> list[tuple[str, type, dict[str, Any]]]:
    """The (pattern, handler, kwargs) list for every path of the route table, in matching order.

    `writer` runs write operations, batching concurrent ones into one transaction (group commit);
    without it they run in `executor` like reads, each in its own transaction. Once `stopping` is
    set every request is answered 503 (see the module docstring).
    """
    handlers: list[tuple[str, type, dict[str, Any]]] = []
    kwargs = {"database": database, "executor": executor, "writer": writer, "stopping": stopping}
    for routes in route_table().by_path().values():
        pattern = next(iter(routes.values())).tornado_pattern
        handlers.append((PREFIX + pattern, OrchHandler, {"routes": routes, **kwargs}))
    handlers.append(
        (
            PREFIX + r"(?:/.*)?",
            UnknownRouteHandler,
            {"routes": {}, **kwargs},
        )
    )
    return handlers
