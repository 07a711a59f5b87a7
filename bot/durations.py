"""How long something took, in words a support engineer reads at a glance (shared by every package)."""

from __future__ import annotations

def duration_label(seconds: float) -> str:
    """"45 minutes", "3 h 20 min", "2 days 4 h": precise enough for an outage."""
    minutes = max(0, round(seconds / 60))
    if minutes < 60:
        return minutes_label(minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def minutes_label(minutes: float) -> str:
    if minutes < 1:  # "0 minutes" reads as nothing happened; the playground's fixes land in seconds
        return "less than a minute"
    m = round(minutes)
    return "1 minute" if m == 1 else f"{m} minutes"

