"""Prefect's `prefect.logging.highlighters`: what the console handler colours (log levels, URLs,
run states, names). Needs `rich` (optional): without it the highlighter is a plain class."""

from __future__ import annotations

try:
    from rich.highlighter import RegexHighlighter
except ImportError:  # rich is optional: the console handler falls back to a plain stream
    RegexHighlighter = object  # type: ignore[assignment,misc]

__all__ = ["PrefectConsoleHighlighter"]

_STATES = ("Completed", "Cancelled", "Cancelling", "Crashed", "Failed", "Pending", "Running", "Scheduled")


class PrefectConsoleHighlighter(RegexHighlighter):  # type: ignore[misc,valid-type]
    """Styles `log.<group>` for the first match of each of these groups in a line."""

    base_style = "log."
    highlights = [
        r"(?P<debug_level>DEBUG)|(?P<info_level>INFO)|(?P<warning_level>WARNING)|(?P<error_level>ERROR)"
        r"|(?P<critical_level>CRITICAL)",
        r"(?P<web_url>(https|http|ws|wss):\/\/[0-9a-zA-Z\$\-\_\+\!`\(\)\,\.\?\/\;\:\&\=\%\#]*)",
        r"(?P<local_url>(file):\/\/[0-9a-zA-Z\$\-\_\+\!`\(\)\,\.\?\/\;\:\&\=\%\#]*)",
        "|".join(f"(?P<{state.lower()}_state>{state})" for state in _STATES),
        r"(?P<flow_run_name>Flow run '[^']*')|(?P<task_run_name>Task run '[^']*')",
    ]
