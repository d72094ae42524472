"""The database: models, engines and sessions, migrations.

Names load on first use: importing `jupyter_orch.db.sqlite` or `jupyter_orch.db.migrate` must not
import SQLAlchemy (the engine's first flow call on SQLite does without it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["get_engine", "session_scope", "sessionmaker_for"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        # heavy: SQLAlchemy; `import jupyter_orch.db` (the SQLite fast path) must not load it
        from jupyter_orch.db import session

        return getattr(session, name)
    raise AttributeError(f"module 'jupyter_orch.db' has no attribute {name!r}")
