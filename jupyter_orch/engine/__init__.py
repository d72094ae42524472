"""The engine: runs flows and tasks in the user's process and reports their states."""
