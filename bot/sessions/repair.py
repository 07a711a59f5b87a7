"""The repair pass: Slack messages owed since an outage, delivered when Slack answers again.

:class:`~bot.sessions.delivery.Delivery` writes what it could not send to the ledger (the
latest rendering of a parent, thread replies in order). :class:`Repairer` replays
them: at start-up, after every call Slack answered (only when something is owed, so
a healthy bot pays nothing), and every ``interval`` seconds while something is.
Sessions with a run in progress are left to that run, whose final update is newer.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient

from bot.sessions.delivery import Delivery, is_permanent, slack_error
from bot.store.ledger import Ledger
from bot.store.db import Store

log = logging.getLogger(__name__)


class Repairer:
    def __init__(self, *, client: WebClient, store: Store, delivery: Delivery, interval: float = 15.0) -> None:
        self.client, self.store, self.delivery = client, store, delivery
        self.ledger: Ledger = delivery.ledger
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pass_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run a first pass now (in the background), then whenever kicked or due."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="slack-repair", daemon=True)
            self._thread.start()
        self._wake.set()

    def kick(self) -> None:
        """After a call Slack answered: worth a pass only if something is owed."""
        if self.ledger.owing:
            self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        first = True
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            if not (first or self.ledger.owing):  # the in-memory flag: no query while nothing is owed
                continue
            first = False
            try:
                self.run_pass()
            except Exception:  # noqa: BLE001 - the repair thread must outlive any one failure
                log.exception("repair pass failed")

    def run_pass(self) -> int:
        """Deliver what is owed; stops at the first call Slack still fails. Returns messages delivered."""
        if not self._pass_lock.acquire(blocking=False):
            return 0  # a pass is running; it will see the new rows or the next kick will
        try:
            return self._pass()
        finally:
            self._pass_lock.release()

    def _pass(self) -> int:
        delivered = 0
        by_session: dict[str, list[dict[str, Any]]] = {}
        for row in self.ledger.owed():
            by_session.setdefault(row["session_id"], []).append(row)
        for sid, rows in by_session.items():
            sess = self.store.session(sid)
            if sess is not None and sess["busy"]:
                continue  # its run will show the newer state itself
            done = self._repair(sess, rows)
            if done < 0:
                log.info("Slack still failing; %d owed message(s) wait for the next pass", len(rows))
                return delivered
            delivered += done
        if delivered:
            log.info("repaired %d Slack message(s) owed since an outage", delivered)
        return delivered

    def _repair(self, sess: dict[str, Any] | None, rows: list[dict[str, Any]]) -> int:
        """One session's owed messages: parent first, then replies. -1 when Slack failed again."""
        if sess is None:  # the session is gone: nothing to show any more
            for row in rows:
                self.ledger.settle(row["id"])
            return 0
        done = 0
        for row in [r for r in rows if r["kind"] == "parent"] + [r for r in rows if r["kind"] == "reply"]:
            try:
                if row["kind"] == "parent":
                    sess = self._parent(sess, row["message"])
                elif sess.get("thread_ts"):
                    self.delivery.pacer.wait(sess["channel"])
                    self.client.chat_postMessage(channel=sess["channel"], thread_ts=sess["thread_ts"],
                                                 unfurl_links=False, unfurl_media=False, **row["message"])
                else:
                    continue  # no parent yet: replies wait for it
            except Exception as exc:  # noqa: BLE001 - Slack still down, or it refuses for good
                log.warning("repair for %s failed: %s", sess["id"], slack_error(exc))
                self.delivery.failed(exc)
                if not is_permanent(exc):
                    return -1
            else:
                self.delivery.answered()  # Slack is back: runs talk to it directly again
            self.ledger.settle(row["id"])
            done += 1
        return done

    def _parent(self, sess: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        if sess.get("thread_ts"):
            self.client.chat_update(channel=sess["channel"], ts=sess["thread_ts"], **message)
            return sess
        self.delivery.pacer.wait(sess["channel"])
        posted = self.client.chat_postMessage(channel=sess["channel"], unfurl_links=False, unfurl_media=False,
                                              **message)
        self.store.set_thread(sess["id"], str(posted["ts"]))
        # The post that failed may have landed all the same (Slack took it, the answer was lost).
        self.delivery.settle_orphans(sess, str(posted["ts"]))
        return self.store.session(sess["id"]) or sess
