"""Certificate-expiry warnings: 30, 7 and 1 days before, once each, in the alert channel.

Which certificate: the connection's ``certificate_file``. Salesforce checks the token
request's signature against the certificate uploaded to the app in Salesforce, and nothing
the bot can call with the connection's own token reads that certificate back; the copy
the key's owner keeps as ``certificate_file`` is the one we can read. It is used only if
it carries the public half of the connection's private key (otherwise it is not the
certificate the key signs for, and the diagnosis already says so). No
``certificate_file``: no warning, and the App Home shows the expiry as unknown.

Each threshold is remembered per certificate fingerprint in SQLite, so a restart does not
repeat a warning and a newly uploaded certificate starts over. A certificate first seen
inside several thresholds gets one warning, the most urgent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from slack_sdk import WebClient

from checks.crypto import keys
from checks.connections import ConfigError, Connection, load_all
from checks.rules.advice import upload_path

from bot.blocks.watch import expiry_warning_message
from bot.sessions.service import slack_error
from bot.store.watch import WatchStore

log = logging.getLogger(__name__)

THRESHOLDS = (30, 7, 1)  # days
DAY = 86400.0


@dataclass(frozen=True)
class CertInfo:
    not_after: datetime
    fingerprint: str

    def days_left(self, now: float) -> float:
        return (self.not_after.timestamp() - now) / DAY


def certificate_of(conn: Connection) -> CertInfo | None:
    """The connection's certificate (see the module docstring), or None when there is none to read."""
    if conn.certificate_file is None:
        return None
    try:
        cert = keys.read_certificate(conn.certificate_file)
    except keys.KeyProblem:
        return None
    if conn.private_key_file is not None:
        try:
            key = keys.read_private_key(conn.private_key_file)
        except keys.KeyProblem:
            key = None
        if key is not None and not keys.public_key_matches(key, cert):
            return None
    return CertInfo(cert.not_valid_after_utc, keys.fingerprint_sha256(cert))


def due_threshold(days_left: float, already: set[int]) -> tuple[int | None, set[int]]:
    """The threshold to warn about now (the most urgent one reached) and every one it covers."""
    reached = {t for t in THRESHOLDS if days_left <= t}
    if not reached or min(reached) in already:
        return None, set()
    return min(reached), reached - already


class ExpiryWatch:
    """Sweeps every connection of the file and posts the warnings that are due."""

    def __init__(self, client: WebClient, store: WatchStore, *, alert_channel: str, connections_file: str | None,
                 private_key_file: str | None, may_post: Callable[[str], bool] = lambda name: True,
                 clock: Callable[[], float] = time.time) -> None:
        """``may_post(name)``: the access policy's word on naming that connection in the alert channel."""
        self.client, self.store, self.may_post = client, store, may_post
        self.alert_channel = alert_channel
        self.connections_file, self.private_key_file = connections_file, private_key_file
        self.clock = clock

    def sweep(self) -> list[tuple[str, int]]:
        """Post the due warnings; returns ``(connection, threshold)`` for each one posted."""
        try:
            connections = load_all(self.connections_file)
        except ConfigError as exc:
            log.warning("certificate sweep skipped: %s", exc)
            return []
        posted = []
        for name, conn in sorted(connections.items()):
            try:
                threshold = self._one(conn.with_default_key(self.private_key_file))
            except Exception as exc:  # noqa: BLE001 - one connection must not stop the others
                log.warning("certificate warning for %s not sent: %s", name, slack_error(exc))
                continue
            if threshold is not None:
                posted.append((name, threshold))
        return posted

    def _one(self, conn: Connection) -> int | None:
        info = certificate_of(conn)
        if info is None:
            return None
        now = self.clock()
        name = conn.name or conn.username
        threshold, covered = due_threshold(info.days_left(now), self.store.warned(name, info.fingerprint))
        if threshold is None:
            return None
        if not self.may_post(name):  # not remembered: it goes out once the channel may show the connection
            log.warning("certificate warning for %s not posted: the alert channel is not a staff channel", name)
            return None
        new_cert = self._new_certificate(conn)
        message = expiry_warning_message(connection=conn.summary(), not_after=info.not_after,
                                         fingerprint=info.fingerprint, days_left=info.days_left(now),
                                         threshold=threshold, attached=new_cert is not None)
        posted = self.client.chat_postMessage(channel=self.alert_channel, unfurl_links=False, **message)
        # Remembered once Slack has it: a failed post is tried again at the next sweep.
        self.store.mark_warned(name, info.fingerprint, covered, at=now, not_after=info.not_after.timestamp())
        if new_cert is not None:
            new_print = keys.fingerprint_sha256(keys.parse_certificate(new_cert))
            try:
                self.client.files_upload_v2(
                    channel=self.alert_channel, thread_ts=posted["ts"], content=new_cert,
                    filename=f"{_file_safe(name)}-new.crt", title=f"New certificate for {name}",
                    initial_comment=(f"Upload this file in {upload_path(conn.app_type, conn.connected_app)} (the "
                                     f"private key stays the same). SHA-256 of this new certificate: `{new_print}`."))
            except Exception as exc:  # noqa: BLE001 - the warning itself went out
                log.warning("could not attach the new certificate for %s: %s", name, slack_error(exc))
        return threshold

    def _new_certificate(self, conn: Connection) -> bytes | None:
        """A self-signed certificate from the connection's key (public; the key never leaves).

        The engine's deterministic one: the same bytes, so the same fingerprint, for the whole UTC
        day, whether a warning or a diagnosis attaches it.
        """
        if conn.private_key_file is None:
            return None
        try:
            key = keys.read_private_key(conn.private_key_file)
        except keys.KeyProblem:
            return None
        return keys.certificate_for_key(key, datetime.fromtimestamp(self.clock(), timezone.utc))


def _file_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:60] or "connection"
