"""The database: models, engines and sessions, migrations."""

from jupyter_orch.db.session import get_engine, session_scope, sessionmaker_for

__all__ = ["get_engine", "session_scope", "sessionmaker_for"]
