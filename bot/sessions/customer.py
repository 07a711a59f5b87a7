"""The "For the customer" button: the admin's checklist, shown privately, then posted on request.

The checklist is :mod:`checks.checklist`'s text over the session's latest diagnosis. The
certificate it asks the admin to upload goes with the posted copy (the public half only,
as ``aprity.crt``); after a restart the stored run has no PEM, so it is made again from
aprity's key.
"""

from __future__ import annotations

import logging

from checks.checklist import Checklist, customer_checklist
from checks.engine import certificate_info

from bot import blocks
from bot.sessions.service import SessionService, slack_error

log = logging.getLogger(__name__)
NO_RESULT = "This session has no result yet: wait for the check to finish."


def checklist_for(service: SessionService, session_id: str) -> tuple[Checklist, bytes | None]:
    """The checklist of the session's latest run, and the certificate PEM when the checklist asks for it."""
    sess, d = service.store.session(session_id), service.latest(session_id)
    if sess is None or d is None:
        return Checklist(None, NO_RESULT), None
    checklist = customer_checklist(d, attached=True)
    if not checklist.needs_certificate:
        return checklist, None
    if d.certificate is not None and d.certificate.pem:
        return checklist, d.certificate.pem
    try:
        info = certificate_info(service._connection(sess), service.clock())
    except Exception as exc:  # noqa: BLE001 - no file: the checklist still goes, support is told
        log.warning("no certificate for the checklist of %s: %s", session_id, exc.__class__.__name__)
        return checklist, None
    return checklist, info.pem if info is not None else None


def show_checklist(service: SessionService, session_id: str, channel: str, user: str) -> None:
    """Only the clicker sees the checklist (chat.postEphemeral), with a button to post it in the channel."""
    checklist, pem = checklist_for(service, session_id)
    message = blocks.checklist_preview(checklist, session_id, certificate=pem is not None)
    service.client.chat_postEphemeral(channel=channel, user=user, **message)


def post_checklist(service: SessionService, session_id: str, channel: str) -> str | None:
    """Post the checklist in ``channel``, the certificate under it; returns a problem to tell the clicker."""
    checklist, pem = checklist_for(service, session_id)
    if checklist.text is None:
        return checklist.reason
    try:
        posted = service._post(channel, blocks.checklist_message(checklist))
    except Exception as exc:  # noqa: BLE001 - Slack refused or is unreachable: nothing was posted
        return f"Slack did not take the checklist (`{slack_error(exc)}`); press the button again."
    if not checklist.needs_certificate:
        return None
    if pem is None:
        return (f"The checklist is posted, without {checklist.certificate_name}: the bot could not make it from "
                "aprity's key. Ask whoever runs aprity for the file.")
    name = checklist.certificate_name
    try:
        service.client.files_upload_v2(channel=channel, thread_ts=posted.get("ts"), content=pem, filename=name,
                                       title=name, initial_comment=blocks.customer_certificate_comment(name))
    except Exception as exc:  # noqa: BLE001 - the text is out; say the file is missing
        log.warning("certificate for the checklist of %s not attached: %s", session_id, slack_error(exc))
        return (f"The checklist is posted, but Slack refused {name} (`{slack_error(exc)}`; the app needs the "
                "files:write scope).")
    return None
