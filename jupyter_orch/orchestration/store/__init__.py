"""Store functions: each takes a SQLAlchemy session and reads or writes one kind of record.

Nothing outside this package writes run state; the embedded client and the REST handlers both
call these functions, so the same rules hold everywhere.
"""

# Importing these installs their flow-run state-change hooks (notification deliveries, the
# release of concurrency slots), so every process that can change a state also runs the hooks.
from jupyter_orch.orchestration.store import concurrency, notifications  # noqa: F401
