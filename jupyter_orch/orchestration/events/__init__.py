"""The live change feed: run and task-run state changes, log lines and artifacts as they commit.

Every process writes the database its own way (the server's writer, an engine in a kernel, a
worker's run process), so the feed reads what was committed rather than trusting writers to
announce it: on PostgreSQL, triggers `NOTIFY` at commit and the feed `LISTEN`s; on SQLite, the feed
watches the file's change counter (`PRAGMA data_version`) and reads the rows added since it last
looked. Either way an `EventHub` hands each event to the subscribers whose filter it matches.
"""

from __future__ import annotations

from jupyter_orch.db.sqlite import file_of
from jupyter_orch.orchestration.events.base import Feed
from jupyter_orch.orchestration.events.hub import KINDS, EventFilter, EventHub, Subscription
from jupyter_orch.orchestration.events.pg_feed import PostgresFeed
from jupyter_orch.orchestration.events.sqlite_feed import SQLiteFeed

__all__ = ["KINDS", "EventFilter", "EventHub", "Feed", "Subscription", "open_feed"]


def open_feed(database_url: str, hub: EventHub, interval: float = 0.02) -> Feed:
    """The feed for a database: LISTEN/NOTIFY on PostgreSQL, the change counter on a SQLite file."""
    db_file = file_of(database_url)
    if db_file is not None:
        return SQLiteFeed(db_file, hub, interval)
    if database_url.startswith("postgresql"):
        return PostgresFeed(database_url, hub, interval)
    raise ValueError(f"no event feed for {database_url.split(':', 1)[0]} databases")
