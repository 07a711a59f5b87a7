"""Messages of the watcher: a watched connection works again, a certificate is about to expire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from checks.rules.advice import upload_path

from checks.model import ConnectionSummary

from bot.blocks.kit import context, finish, section
from bot.blocks.session import connection_line
from bot.blocks.text import code, duration_label, field, one_line, stamp


def recovered_message(*, broken_since: datetime | None, back_at: datetime) -> dict[str, Any]:
    """Posted in the alert session's thread once the watch sees the connection work again."""
    if broken_since is None:
        text = f"✅ *The connection works again* (automatic watch, {stamp(back_at)})."
        return finish("The connection works again", [section(text)])
    took = duration_label((back_at - broken_since).total_seconds())
    text = (f"✅ *The connection works again.* It was broken for *{took}*: "
            f"first failing check {stamp(broken_since)}, working again {stamp(back_at)}.")
    return finish(f"The connection works again after {took}", [
        section(text),
        context(["Found by the automatic watch; this session is closed."]),
    ])


def expiry_warning_message(*, connection: ConnectionSummary, not_after: datetime, fingerprint: str,
                           days_left: float, threshold: int, attached: bool) -> dict[str, Any]:
    """One warning per threshold (30, 7, 1 days) before the connection's certificate expires."""
    name = field(one_line(connection.name or connection.username), 150)
    if days_left <= 0:
        when = "has *expired*"
    elif days_left < 1:
        when = f"expires in *{max(1, round(days_left * 24))} hour(s)*"
    else:
        when = f"expires in *{int(days_left)} day(s)*"
    app = f" *{field(one_line(connection.connected_app), 100)}*" if connection.connected_app else ""
    where = field(one_line(upload_path(connection.app_type, connection.connected_app)), 600)
    steps = (f"*What to do:* upload a new certificate to the app{app} before *{stamp(not_after)}* "
             f"({where}), then point `certificate_file` at it. Once it expires, every token request of this "
             "connection fails.")
    if attached:
        steps += ("\nThe certificate attached below is made from the connection's own private key, so the key "
                  "stays the same; it is valid for two years.")
    else:
        # Nobody in Slack has a shell next to the key: no command to run here.
        steps += ("\nThe bot could not read the connection's private key to make one; ask whoever runs aprity "
                  "for a certificate made from that key.")
    head = f"📅 *The certificate of {name}* {when} (warning at {int(threshold)} day(s))"
    return finish(f"Certificate of {one_line(connection.name or connection.username)} expires {stamp(not_after)}", [
        section(head),
        context([connection_line(connection)]),
        section(f"*Expires:* {stamp(not_after)}\n"
                f"*SHA-256 of the connection's certificate file:* {code(fingerprint, 200)}"),
        section(steps),
    ])
