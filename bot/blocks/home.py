"""The bot's Home tab: open sessions, watched connections and the last 30 days, for one viewer.

Pure: takes :class:`bot.slack.home.HomeData` (already filtered to what the viewer may see)
and returns a ``views.publish`` view within the 100-block limit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
import dataclasses
from dataclasses import dataclass
from typing import Any

from bot.ids import HomeBlock
from bot.store import stats, ties
from bot.blocks.kit import context, divider, finish, header, section
from bot.blocks.text import (MAX_MODAL_BLOCKS, cause_title, duration_label, field, hhmm, link, mention, one_line, short_cause,
                   stamp)


MAX_SESSIONS = 20
MAX_WATCHED = 30


@dataclass(frozen=True)
class WatchedRow:
    name: str
    last_ok: bool | None
    last_check_at: datetime | None
    broken_since: datetime | None
    cert_expires: datetime | None
    cert_days_left: float | None


@dataclass(frozen=True)
class HomeData:
    user_id: str
    staff: bool
    now: datetime
    open_sessions: list[dict[str, Any]]  # rows of stats.open_sessions, each with a "link"
    watched: list[WatchedRow]
    figures: stats.Stats
    channels_unknown: bool = False  # the viewer's channels could not be read
    notes: list[str] = dataclasses.field(default_factory=list)



def _session_line(row: dict[str, Any]) -> str:
    name = field(one_line(row.get("connection_name") or row.get("username")), 120)
    label = link(row["link"], "thread") if row.get("link") else "no thread yet"
    if row["status"] == "running":
        state = "⏳ running"
    else:
        cause = ties.key_of(row)
        state = f"❌ {short_cause(cause)}" if cause else "❌ failing"
    notes = []
    if row.get("retest_due_at"):
        notes.append(f"retest at {hhmm(datetime.fromtimestamp(row['retest_due_at'], timezone.utc))}")
    if row.get("escalated"):
        notes.append("🆘 escalated")
    extra = f" · {', '.join(notes)}" if notes else ""
    return f"*{name}* — {state}{extra} · {label} · asked by {mention(row.get('requester'))}"


def _watched_line(w: WatchedRow) -> str:
    if w.last_ok is None:
        state = "⏺️ not checked yet"
    elif w.last_ok:
        state = "✅ working"
    else:
        state = "❌ failing" + (f" since {stamp(w.broken_since)}" if w.broken_since else "")
    checked = f"last check {stamp(w.last_check_at)}" if w.last_check_at else "no check yet"
    if w.cert_expires is None:
        cert = "certificate expiry unknown (no certificate_file)"
    elif (w.cert_days_left or 0) <= 0:
        cert = f"⚠️ certificate expired {stamp(w.cert_expires)}"
    else:
        warn = "⚠️ " if (w.cert_days_left or 0) <= 30 else ""
        cert = f"{warn}certificate expires {stamp(w.cert_expires)} ({int(w.cert_days_left or 0)} days)"
    return f"*{field(one_line(w.name), 120)}* — {state} · {checked} · {cert}"


def _more(hidden: int, what: str, block_id: HomeBlock) -> dict[str, Any] | None:
    return context([f"… and {hidden} more {what}: `aprity-diagnose history` lists them all"], block_id) \
        if hidden > 0 else None


def _listing(title: str, rows: Sequence[Any], line: Callable[[Any], str], limit: int, what: str, empty: str,
             ids: tuple[HomeBlock, HomeBlock, HomeBlock, HomeBlock]) -> list[dict[str, Any] | None]:
    """A titled list of at most ``limit`` rows, then how many more (or ``empty``); ids: title, row, more, none."""
    head, row, more, none = ids
    blocks: list[dict[str, Any] | None] = [divider(), section(f"*{title}* ({len(rows)})", head)]
    if not rows:
        return blocks + [context([empty], none)]
    blocks += [section(line(r), f"{row}{i}") for i, r in enumerate(rows[:limit])]
    return blocks + [_more(len(rows) - limit, what, more)]


def home_view(data: HomeData) -> dict[str, Any]:
    """The Home tab for ``data.user_id``."""
    f = data.figures
    scope = "all channels (you are in a staff channel)" if data.staff else "the channels you are in"
    blocks: list[dict[str, Any] | None] = [
        header("aprity-diagnose", HomeBlock.HEAD),
        context([f"Showing {scope} · updated {stamp(data.now)}"], HomeBlock.SCOPE),
    ]
    if data.channels_unknown:
        blocks.append(section("⚠️ I could not read which channels you are in, so nothing is shown. "
                              "Open the tab again in a moment.", HomeBlock.UNKNOWN))

    blocks += _listing("Open sessions", data.open_sessions, _session_line, MAX_SESSIONS, "open session(s)",
                       "Nothing open: every session you can see has ended.",
                       (HomeBlock.OPEN, HomeBlock.SESSION, HomeBlock.SESSION_MORE, HomeBlock.OPEN_NONE))
    blocks += _listing("Watched connections", data.watched, _watched_line, MAX_WATCHED, "watched connection(s)",
                       "No watched connection you can see. Add `watch = true` to a connection's table.",
                       (HomeBlock.WATCH, HomeBlock.WATCHED, HomeBlock.WATCHED_MORE, HomeBlock.WATCH_NONE))

    median = duration_label(f.median_fix_seconds) if f.median_fix_seconds is not None else "no fix yet"
    causes = "\n".join(f"• {cause_title(c)} — {n}" for c, n in f.top_causes) or "• none"
    blocks += [
        divider(),
        section(f"*Last {f.days} days*", HomeBlock.STATS),
        section(f"*Sessions:* {f.sessions}  ·  *Escalations:* {f.escalations}  ·  *Open now:* {f.open}\n"
                f"*Median time to fix:* {median} (first failing run → first passing run, {f.fixed} fixed)",
                HomeBlock.FIGURES),
        section(f"*Top causes*\n{causes}", HomeBlock.CAUSES),
    ]
    message = finish(f"aprity-diagnose for {data.user_id}", blocks, max_blocks=MAX_MODAL_BLOCKS)
    return {"type": "home", "blocks": message["blocks"]}
