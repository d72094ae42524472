"""Store functions: each takes a SQLAlchemy session and reads or writes one kind of record.

Nothing outside this package writes run state except through `orchestration.run_writer` (which
the store also writes through); the REST operations call these functions, so the same rules
hold everywhere.
"""
