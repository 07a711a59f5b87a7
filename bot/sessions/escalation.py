"""Escalate to support: one message in the support channel, once per session.

The message carries what support asks customers for (exact error, Org ID,
production or sandbox, Connected App name and consumer key) plus the run
history and a link to the thread; it is built from stored, non-secret fields only.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from checks.engine import certificate_info
from checks.model import CertificateInfo

from bot import blocks
from bot.store.restore import summary_of
from bot.sessions.service import SessionService, slack_error

log = logging.getLogger(__name__)


def _certificate(service: SessionService, sess: dict) -> CertificateInfo | None:
    """Fingerprint and expiry of the certificate matching aprity's key, when the stored run lacks them."""
    try:
        return certificate_info(service._connection(sess), service.clock())
    except Exception as exc:  # noqa: BLE001 - a missing fingerprint must not stop the escalation
        log.warning("no certificate for %s: %s", sess.get("id"), exc.__class__.__name__)
        return None


def escalate(service: SessionService, session_id: str, user: str) -> None:
    """Post the escalation (idempotent), confirm in the thread, mark the parent."""
    store = service.store
    sess = store.session(session_id)
    if sess is None or not sess.get("thread_ts"):
        return
    channel, thread = sess["channel"], sess["thread_ts"]
    created, row = store.record_escalation(session_id, by_user=user, channel=service.support_channel)
    at = datetime.fromtimestamp(row["at"], timezone.utc)
    if not created:
        service._post(channel, blocks.already_escalated(row["by_user"], at), thread=thread)
        return
    permalink = None
    try:
        permalink = service.client.chat_getPermalink(channel=channel, message_ts=thread).get("permalink")
    except Exception as exc:  # noqa: BLE001 - the link is a nicety; Slack may also be unreachable
        log.warning("no permalink for %s: %s", session_id, slack_error(exc))
    try:
        latest = service.latest(session_id)
        view = blocks.EscalationView.from_diagnosis(
            latest, session_id=session_id, connection=summary_of(sess),
            requester_id=sess["requester"], escalated_by=user, escalated_at=at, thread_url=permalink,
            history=[blocks.RunRecord.from_row(r) for r in store.runs(session_id)],
            certificate=None if latest is not None and latest.certificate else _certificate(service, sess),
        )
        posted = service._post(service.support_channel, blocks.escalation_message(view))
    except Exception as exc:  # noqa: BLE001 - whatever failed, support did not get it
        # Let a later click try again: the escalation did not reach support.
        store.delete_escalation(session_id)
        error = slack_error(exc)
        log.warning("escalation of %s failed: %s", session_id, error)
        try:
            service._post(channel, {"text": f"Could not post to the support channel ({blocks.text.code(error)}); "
                                            "check that I am a member of it, then press Escalate again."},
                          thread=thread)
        except Exception:  # noqa: BLE001
            log.warning("could not tell the thread of %s that the escalation failed", session_id)
        return
    store.set_escalation_message(session_id, posted.get("ts") or "", permalink)
    service._cancel(session_id)  # support owns it now: no more automatic retests
    service._post(channel, blocks.escalation_ack(user, at), thread=thread)
    service._update(store.session(session_id) or sess, running=False)
