"""How a session shows itself in Slack: its parent message, thread replies and the requester's notice.

Part of :class:`bot.sessions.service.SessionService` (a mixin: the fields are the service's).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from checks.connections import ConfigError, Connection, load
from checks.model import Diagnosis, StepId

from bot import blocks
from bot.sessions.delivery import Delivery, slack_error
from bot.store.db import Store
from bot.store.restore import diagnosis_from_rows, summary_of

log = logging.getLogger("bot.sessions.service")
LATEST_KEPT = 512


class SessionMessages:
    """The Slack side of a session; the service holds the state these methods read."""

    store: Store
    delivery: Delivery
    connections_file: str | None
    private_key_file: str | None
    _latest: OrderedDict[str, Diagnosis]
    _revision: Iterator[int]
    _lock: threading.Lock

    def _connection(self, sess: dict[str, Any]) -> Connection:
        """The connection as configured now: a retest picks up a corrected connections file."""
        if sess.get("connection_name"):
            try:
                conn = load(sess["connection_name"], self.connections_file)
            except ConfigError:
                log.warning("connection %s no longer in the file; using the stored fields", sess["connection_name"])
            else:
                return conn.with_default_key(self.private_key_file)
        return Connection(username=sess["username"], login_url=sess["login_url"], consumer_key=sess["consumer_key"],
                          name=sess.get("connection_name"), connected_app=sess.get("connected_app"),
                          org_id=sess.get("org_id")).with_default_key(self.private_key_file)

    def latest(self, sid: str) -> Diagnosis | None:
        """The last diagnosis of a session, rebuilt from SQLite after a restart."""
        if sid not in self._latest:
            run = self.store.last_run(sid)
            sess = self.store.session(sid)
            if run is None or sess is None:
                return None
            self._remember(sid, diagnosis_from_rows(sess, run, self.store.steps(run["id"])))
        return self._latest.get(sid)

    def _remember(self, sid: str, d: Diagnosis) -> None:
        with self._lock:
            self._latest[sid] = d
            self._latest.move_to_end(sid)
            while len(self._latest) > LATEST_KEPT:
                self._latest.popitem(last=False)

    def _parent(self, sess: dict[str, Any], *, running: bool, step: StepId | None = None, index: int = 0,
                total: int = 0, stopped: str | None = None) -> dict[str, Any]:
        sid = sess["id"]
        with self._lock:
            revision = next(self._revision)
        runs = self.store.runs(sid)
        esc = self.store.escalation(sid)
        due = sess.get("retest_due_at")
        latest = self.latest(sid)
        view = blocks.ParentView(  # the header (login host, environment, org) is the latest run's
            session_id=sid, requester_id=sess["requester"], connection=replace(
                latest.connection, org_id=latest.connection.org_id or sess.get("org_id")) if latest else
            summary_of(sess), revision=revision, running=running, step=step, step_index=index,
            step_total=total or 10, diagnosis=None if running else latest, header_org=latest.org if latest else None,
            previous_run=runs[-2] if len(runs) >= 2 and not running else None,
            next_retest_at=datetime.fromtimestamp(due, timezone.utc) if due else None,
            retests_stopped=stopped,
            escalated_by=esc["by_user"] if esc else None,
            escalated_at=datetime.fromtimestamp(esc["at"], timezone.utc) if esc else None,
            run_number=len(runs) + (1 if running else 0) or None,
            restarted=bool(sess.get("restarted_at")),
        )
        return blocks.parent_message(view)

    def _update(self, sess: dict[str, Any], **kwargs: Any) -> bool:
        """Show the session's state in its parent; owed to Slack (see :mod:`bot.sessions.repair`) if that fails."""
        return self.delivery.update_parent(sess, self._parent(sess, **kwargs))

    def _reply(self, sess: dict[str, Any], message: dict[str, Any]) -> None:
        self.delivery.reply(sess, message)

    def _post(self, channel: str, message: dict[str, Any], *, thread: str | None = None) -> dict[str, Any]:
        return self.delivery.post(channel, message, thread=thread)

    def _tell_requester(self, sess: dict[str, Any], exc: Exception, response_url: str | None = None) -> None:
        error = slack_error(exc)
        hint = ("invite me first: `/invite @aprity-diagnose`, then run the command again"
                if error in ("not_in_channel", "channel_not_found") else f"Slack said {blocks.text.code(error)}")
        self.delivery.tell_requester(sess, f"I could not post the status message here: {hint}.", response_url)
