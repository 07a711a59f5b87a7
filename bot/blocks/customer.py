"""The customer's checklist in Slack: the private preview for support, and the copy posted in the channel.

The text is :func:`checks.checklist.customer_checklist`'s, unchanged but escaped, one section
per paragraph so it reads (and copies) as the plain text it is.
"""

from __future__ import annotations

from typing import Any

from checks.checklist import Checklist

from bot.blocks.kit import actions, button, context, finish, section
from bot.blocks.text import field
from bot.ids import ActionId

PARAGRAPH = 2900  # below a section's 3000 characters, escaping included


def _paragraphs(text: str) -> list[dict[str, Any]]:
    return [section(field(p, PARAGRAPH)) for p in text.split("\n\n") if p.strip()]


def checklist_preview(checklist: Checklist, session_id: str, *, certificate: bool) -> dict[str, Any]:
    """Only the clicker sees it: the checklist to copy into an email, and a button to post it here.

    ``certificate``: the bot holds the certificate the checklist asks for, and posts it with it.
    """
    if checklist.text is None:
        return finish(checklist.reason, [section(f"ℹ️ {field(checklist.reason, 500)}")])
    note = "Only you see this. Copy it into an email to the customer's Salesforce admin, or post it here " \
           "(for a channel shared with the customer)."
    if checklist.needs_certificate:
        note += (f" Posting it here attaches {checklist.certificate_name}; for an email, attach the certificate "
                 f"from the session's thread as {checklist.certificate_name}." if certificate else
                 f" The bot cannot make {checklist.certificate_name} from aprity's key right now: ask whoever runs "
                 "aprity for it.")
    return finish("Checklist for the customer's Salesforce admin", [
        context([note]),
        *_paragraphs(checklist.text),
        actions([button("Post in this channel", ActionId.POST_CHECKLIST, session_id, style="primary")]),
    ])


def checklist_message(checklist: Checklist) -> dict[str, Any]:
    """The checklist as posted in the channel, for the customer's admin to read there."""
    assert checklist.text is not None
    return finish("Steps for your Salesforce admin", _paragraphs(checklist.text))


def certificate_comment(name: str) -> str:
    """Posted with the certificate under the checklist: what it is, in the admin's words."""
    return f"{name}: the certificate to upload (public part only; it matches the key aprity signs with)."
