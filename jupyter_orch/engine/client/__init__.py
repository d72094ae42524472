"""The process-wide client the engine reports through: the database directly (embedded) by
default, or a jupyter-orch server over HTTP when `JUPYTER_ORCH_API_URL` is set."""

from __future__ import annotations

import atexit
import threading

from jupyter_orch.engine.client.base import BatchWriter, OrchClient

__all__ = ["BatchWriter", "OrchClient", "get_client", "reset_client"]

_client: OrchClient | None = None
_lock = threading.Lock()
_atexit_registered = False


def get_client() -> OrchClient:
    """The client of this process, created from the environment on first use."""
    global _client, _atexit_registered
    client = _client
    if client is not None:
        return client
    with _lock:
        if _client is None:
            from jupyter_orch.settings import get_settings

            settings = get_settings()
            if settings.api_url:
                from jupyter_orch.engine.client.http import HTTPClient

                _client = HTTPClient(settings.api_url, settings.api_token)
            else:
                from jupyter_orch.db.sqlite import file_of

                db_file = file_of(settings.database_url)
                if db_file is not None:  # SQLite: the engine's writes skip SQLAlchemy
                    from jupyter_orch.engine.client.lite import SQLiteClient

                    _client = SQLiteClient(settings.database_url, db_file)
                else:
                    from jupyter_orch.engine.client.embedded import EmbeddedClient

                    _client = EmbeddedClient(settings.database_url)
            if not _atexit_registered:
                # records still buffered when the interpreter exits normally are written
                atexit.register(_close_at_exit)
                _atexit_registered = True
        return _client


def reset_client() -> None:
    """Flush and close the current client and forget it; the next `get_client()` reads the
    environment again (tests, or a kernel whose settings changed)."""
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        client.close()


def _close_at_exit() -> None:
    try:
        reset_client()
    except Exception as exc:  # the interpreter is going away: say so, never hang or raise
        import sys

        print(f"jupyter-orch: could not write the last run records: {exc}", file=sys.stderr)
