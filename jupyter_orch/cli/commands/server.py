"""`jupyter orch server`: a headless Jupyter server running only the jupyter_orch extension.

It is a Jupyter server like any other: every option Jupyter's own apps take (`--ServerApp.*`,
`--IdentityProvider.token=...`, `--certfile`/`--keyfile` for TLS, `--config=FILE`) and the
`jupyter_server_config` files are read as `jupyter server` reads them, so it runs behind a proxy,
under a base URL, with TLS. The options this command defines are defaults below those: a config
file or `--ServerApp.port=...` wins over the default port; an option given here wins over a file.
"""

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
        f"The token is ${API_TOKEN_ENV} when set (so restarts keep it), else a new random one. "
        "Any other option is Jupyter's own (--ServerApp.certfile=..., --IdentityProvider.token=..., "
        "--config=FILE, ...; see `jupyter server --help-all`), as are the jupyter_server_config files.",
    )
    p.add_argument("--ip", default=None, help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=None, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--base-url", default=None, help="URL prefix of the server (default /)")
    p.add_argument(
        "--allow-root",
        action="store_true",
        default=None,
        help="allow running as root (implied when the current user is root)",
    )
    p.set_defaults(func=run_server, pass_through=True)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {value!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"invalid port {port}; expected 1-65535")
    return port


def server_app_class() -> type:
    """`ServerApp` with this command's defaults as trait defaults: the lowest layer, under the
    config files and the command line. (Defaults handed in as a `Config` would not be: linking an
    extension merges the constructor's config back over what the files said.)"""
    # heavy: jupyter_server, only for `server start`
    from jupyter_server.serverapp import ServerApp
    from traitlets import default

    class OrchServerApp(ServerApp):
        port_default_value = DEFAULT_PORT  # $JUPYTER_PORT still wins, as for `jupyter server`
        port_retries_default_value = 0  # a client is told one URL: never another port

        @default("ip")
        def _ip_default(self) -> str:
            return "127.0.0.1"

        @default("allow_root")
        def _allow_root_default(self) -> bool:
            return hasattr(os, "geteuid") and os.geteuid() == 0

    return OrchServerApp


def server_argv(args: argparse.Namespace) -> list[str]:
    """The options given to this command as Jupyter's, then Jupyter's own (which win)."""
    argv = []
    for trait in ("ip", "port", "base_url", "allow_root"):
        value = getattr(args, trait, None)
        if value is not None:
            argv.append(f"--ServerApp.{trait}={value}")
    return argv + list(getattr(args, "extra_argv", []))


def run_server(args: argparse.Namespace, ctx: Context) -> int:
    token = os.environ.get(API_TOKEN_ENV)
    if token:  # the IdentityProvider's default token; a config file or --IdentityProvider.token wins
        os.environ["JUPYTER_TOKEN"] = token
    # the server's own process must not report to some other server through inherited settings
    os.environ.pop(API_URL_ENV, None)
    app = server_app_class()(jpserver_extensions={"jupyter_orch": True})
    app.initialize(argv=server_argv(args), find_extensions=False)
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
