"""`jupyter orch server`: a headless Jupyter server running only the jupyter_orch extension."""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from jupyter_orch.cli.app import Context
from jupyter_orch.settings import API_TOKEN_ENV, API_URL_ENV

DEFAULT_PORT = 4200  # Prefect's, so a Prefect user finds it where expected


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "server",
        help="Start a headless orchestration server.",
        description="Start a Jupyter server with only the jupyter_orch extension (REST API, API docs, "
        f"background services) and print the {API_URL_ENV}/{API_TOKEN_ENV} that clients need. "
        f"The token is ${API_TOKEN_ENV} when set (so restarts keep it), else a new random one.",
    )
    p.add_argument("--ip", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--base-url", default="/", help="URL prefix of the server (default /)")
    p.add_argument(
        "--allow-root",
        action="store_true",
        help="allow running as root (implied when the current user is root)",
    )
    p.set_defaults(func=run_server)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {value!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"invalid port {port}; expected 1-65535")
    return port


def run_server(args: argparse.Namespace, ctx: Context) -> int:
    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    config = Config()
    token = os.environ.get(API_TOKEN_ENV)
    if token:
        config.IdentityProvider.token = token
    # the server's own process must not report to some other server through inherited settings
    os.environ.pop(API_URL_ENV, None)
    app = ServerApp(
        config=config,
        jpserver_extensions={"jupyter_orch": True},
        ip=args.ip,
        port=args.port,
        port_retries=0,
        base_url=args.base_url,
        open_browser=False,
        allow_root=args.allow_root or (hasattr(os, "geteuid") and os.geteuid() == 0),
    )
    app.initialize(argv=[], find_extensions=False)
    skip_unprinted_records(app.log)
    url = app.connection_url.rstrip("/")
    token = app.identity_provider.token
    ctx.print(f"jupyter-orch server at {url}")
    ctx.print(f"  API:   {url}/orch/api   docs: {url}/orch/docs")
    ctx.print(f"  token: {token}")
    ctx.print("Point flows, workers and the CLI at it with:")
    ctx.print(f"  export {API_URL_ENV}={url} {API_TOKEN_ENV}={token}")
    app.start()
    return 0


def skip_unprinted_records(log: logging.Logger) -> None:
    """Raise `log` to the lowest level any of its handlers prints.

    traitlets leaves an application's logger at DEBUG and filters in its handlers, so each debug
    call builds a record that no handler prints (jupyter_server makes two per request: the access
    line and "Accepting token-authenticated request"). Output is unchanged: a handler at DEBUG (or
    NOTSET), e.g. `--ServerApp.log_level=DEBUG` or a `logging_config` file handler, keeps DEBUG.
    """
    levels: list[int] = []
    logger: logging.Logger | None = log
    while logger is not None:
        levels.extend(h.level for h in logger.handlers)
        if not logger.propagate:
            break
        logger = logger.parent
    if levels and min(levels) > log.level:
        log.setLevel(min(levels))
