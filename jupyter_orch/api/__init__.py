"""The operations layer: every REST operation as a plain function over a database session.

One route table (`jupyter_orch.api.table.ROUTES`) drives the tornado handlers, the client's
in-process transport and the OpenAPI document, so the server, the CLI without a server and the
docs can never disagree about what an operation takes or returns.
"""

#: Where the API lives under the Jupyter server's base URL (kept here so clients import nothing heavy).
PREFIX = "/orch/api"
