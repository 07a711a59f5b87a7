"""Attach the certificate matching aprity's key to a diagnosis thread, when the fix needs it.

Nobody in Slack has a shell next to aprity's key, so the bot hands over the public
certificate itself (never the key) as ``<connection>.crt`` with its fingerprint,
through Slack's files upload v2 (needs the ``files:write`` scope).
"""

from __future__ import annotations

import logging
from typing import Any

from checks.rules.advice import cert_file_name, upload_path
from checks.model import Diagnosis

from bot.blocks.text import code, escape_mrkdwn

log = logging.getLogger(__name__)


def certificate_comment(d: Diagnosis, app: str | None) -> str:
    """The file's comment: mrkdwn, so the app name (the customer's words) goes through the one escaper."""
    cert = d.certificate
    assert cert is not None
    subject = f"subject {escape_mrkdwn(cert.subject)}, " if cert.subject else ""
    where = escape_mrkdwn(" ".join(upload_path(d.app_type, app).split()))  # the app name is the customer's words
    return (f"📎 The certificate made from aprity's private key (public part only): {subject}expires "
            f"{escape_mrkdwn(cert.not_after)}. Upload the attached certificate in {where}. "
            f"SHA-256 of this certificate (aprity's): {code(cert.fingerprint)}.")


def attach_certificate(client: Any, channel: str, thread_ts: str, d: Diagnosis, connection_name: str | None,
                       app: str | None = None) -> bool:
    """Upload the certificate into the thread if ``d`` calls for it; True when a file was shared.

    A failure is logged and told in the thread: the verdict is already posted, so the run goes on.
    """
    if not d.needs_certificate or d.certificate is None:
        return False
    name = cert_file_name(connection_name)
    try:
        client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=d.certificate.pem, filename=name,
                               title=name, initial_comment=certificate_comment(d, app))
        return True
    except Exception as exc:  # noqa: BLE001 - Slack refusing a file must not lose the verdict
        error = getattr(getattr(exc, "response", None), "get", lambda _k: None)("error") or type(exc).__name__
        log.warning("certificate upload to %s failed: %s", channel, error)
        try:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=(
                f"I could not attach {escape_mrkdwn(name)} (Slack said {code(error)}; the app needs the files:write "
                f"scope). SHA-256 of that certificate (made from aprity's key): {code(d.certificate.fingerprint)}; "
                "ask whoever runs aprity for the file."))
        except Exception:  # noqa: BLE001
            log.warning("could not tell %s that the certificate upload failed", channel)
        return False
