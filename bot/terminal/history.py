"""Plain-text table of past sessions for ``aprity-diagnose history``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from bot.store.ties import causes_of

_COLUMNS = ("Created (UTC)", "Connection", "Environment", "Status", "Cause", "Runs")
_MAX_WIDTH = 40
_SPACE_RE = re.compile(r"\s+")


def _cell(value: Any, width: int = _MAX_WIDTH) -> str:
    """One line, bounded width: stored values come from Slack users and may hold anything."""
    text = _SPACE_RE.sub(" ", "" if value is None else str(value)).strip() or "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def _connection(row: dict[str, Any]) -> str:
    name, user = row.get("connection_name"), row.get("username")
    if name and user:
        return f"{name} ({user})"
    return name or user or "-"


def _created(ts: Any) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(float(ts), tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def format_history(rows: Sequence[dict[str, Any]]) -> str:
    """Rows from ``Store.recent_sessions`` as an aligned table (no trailing newline)."""
    if not rows:
        return "No diagnosis sessions yet."
    table = [
        [
            _created(r.get("created_at")),
            _cell(_connection(r)),
            _cell(r.get("environment")),
            _cell(r.get("status")),
            _cell(" or ".join(causes_of(r)), 2 * _MAX_WIDTH),  # a tie names both causes
            str(r.get("run_count") or 0),
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in table)) for i, h in enumerate(_COLUMNS)]

    def fmt(cells: Sequence[str]) -> str:
        # Runs is a number: right-align it, left-align the text columns.
        parts = [c.rjust(w) if i == len(cells) - 1 else c.ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(_COLUMNS), rule, *(fmt(line) for line in table)])
