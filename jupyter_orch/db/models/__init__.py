"""SQLAlchemy 2 models: the whole schema, shared by SQLite and PostgreSQL, one module a table group.

`from jupyter_orch.db.models import FlowRun` keeps working: this face re-exports every table and
the column helpers, and importing it registers every table on `Base.metadata` (migrations and
`create_all` need them all).
"""

from jupyter_orch.db.models.columns import (
    ID,
    Base,
    JSONType,
    Timestamp,
    new_id,
    utcnow,
)
from jupyter_orch.db.models.config import (
    NotificationDelivery,
    NotificationPolicy,
    Secret,
    StorageConfig,
    Variable,
)
from jupyter_orch.db.models.deployments import Deployment, DeploymentSchedule
from jupyter_orch.db.models.runs import (
    AppliedBatch,
    Artifact,
    Flow,
    FlowRun,
    FlowRunInput,
    FlowRunState,
    Log,
    TaskRun,
    TaskRunEdge,
    TaskRunState,
)
from jupyter_orch.db.models.work import (
    ConcurrencyLimit,
    ConcurrencySlot,
    GlobalConcurrencyLimit,
    Lease,
    Worker,
    WorkPool,
    WorkQueue,
)

__all__ = [
    "ID",
    "AppliedBatch",
    "Artifact",
    "Base",
    "ConcurrencyLimit",
    "GlobalConcurrencyLimit",
    "ConcurrencySlot",
    "Deployment",
    "DeploymentSchedule",
    "Flow",
    "FlowRun",
    "FlowRunInput",
    "FlowRunState",
    "JSONType",
    "Lease",
    "Log",
    "NotificationDelivery",
    "NotificationPolicy",
    "Secret",
    "StorageConfig",
    "TaskRun",
    "TaskRunEdge",
    "TaskRunState",
    "Timestamp",
    "Variable",
    "WorkPool",
    "WorkQueue",
    "Worker",
    "new_id",
    "utcnow",
]
