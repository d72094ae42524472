"""The Jupyter server extension: REST handlers over the operations layer, docs, background services."""
