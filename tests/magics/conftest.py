import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "notebook_deployments"))

from nbhelpers import kernel_pools, nb_worker  # noqa: E402, F401  (fixtures)
