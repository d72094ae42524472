"""Store functions: each takes a SQLAlchemy session and reads or writes one kind of record.

Nothing outside this package writes run state; the embedded client and the REST handlers both
call these functions, so the same rules hold everywhere.
"""
