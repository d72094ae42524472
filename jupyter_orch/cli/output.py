"""Printing for the CLI: aligned tables for people, JSON for scripts (`--json`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from jupyter_orch.client import json_default


def print_json(ctx: Any, value: Any) -> None:
    ctx.print(json.dumps(value, indent=2, default=json_default))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)
