from nbhelpers import kernel_pools, nb_worker  # noqa: F401  (fixtures)
