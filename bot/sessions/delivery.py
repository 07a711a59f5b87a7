"""Getting messages to Slack despite its faults, and remembering what could not be sent.

slack_sdk retries 429s, 5xx and connection errors; :func:`retry_handlers` adds read
timeouts, which its connection handler misses (urllib raises a bare ``TimeoutError``
from a read, not a ``URLError``). What still fails after the retries is written to
the :class:`~bot.store.ledger.Ledger` and replayed by :mod:`bot.sessions.repair` — a run never
aborts because Slack did not answer.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.client import IncompleteRead, RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (ConnectionErrorRetryHandler, RateLimitErrorRetryHandler,
                                                   ServerErrorRetryHandler)
from slack_sdk.webhook import WebhookClient

from bot import blocks
from bot.sessions.executor import ChannelPacer, on_background_thread
from bot.ids import PARENT_BLOCK_PREFIX
from bot.store.ledger import Ledger

log = logging.getLogger(__name__)

# Slack answered, and the answer will not change by asking again: nothing is owed.
PERMANENT = frozenset({"not_in_channel", "channel_not_found", "is_archived", "message_not_found",
                       "cant_update_message", "invalid_auth", "account_inactive", "token_revoked",
                       "missing_scope", "invalid_blocks", "msg_too_long", "restricted_action"})


_seen = threading.local()  # timeouts retried during this thread's current call


class _ConnectionRetry(ConnectionErrorRetryHandler):
    """slack_sdk's handler, also noting timeouts: a timed-out post may have landed all the same."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # noqa: ANN001
        if isinstance(error, TimeoutError):
            _seen.timeouts = getattr(_seen, "timeouts", 0) + 1
        if on_background_thread():
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


class _RateLimitRetry(RateLimitErrorRetryHandler):
    """Sleeps through Retry-After only for a person's work: a background worker fails fast instead
    (its work is owed and tried again later), so a rate limit never holds a shared worker."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # noqa: ANN001
        return not on_background_thread() and super()._can_retry(
            state=state, request=request, response=response, error=error)


class _ServerErrorRetry(ServerErrorRetryHandler):
    def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # noqa: ANN001
        return not on_background_thread() and super()._can_retry(
            state=state, request=request, response=response, error=error)


def retry_handlers() -> list[RetryHandler]:
    """Retry what a healthy Slack would answer: rate limits, 5xx, refused, reset and timed-out calls
    (on a person's lane; on the background lane nothing is retried in place)."""
    return [
        _ConnectionRetry(max_retry_count=2, error_types=[
            URLError, ConnectionError, RemoteDisconnected, IncompleteRead, TimeoutError]),
        _RateLimitRetry(max_retry_count=5),
        _ServerErrorRetry(max_retry_count=2),
    ]


# After Slack failed a call, runs stop waiting on it for this long: their updates and replies go
# straight to the ledger (the repair pass probes Slack meanwhile), so an outage holds no pool slot.
QUIET = 30.0


def slack_error(exc: Exception) -> str:
    """Slack's error code, or the kind of failure when Slack did not answer (never the message text)."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return type(exc).__name__


def is_permanent(exc: Exception) -> bool:
    return isinstance(exc, SlackApiError) and slack_error(exc) in PERMANENT


class Delivery:
    """Posts and updates for the session service; ``on_success`` runs after every call Slack answered."""

    def __init__(self, client: WebClient, ledger: Ledger, pacer: ChannelPacer,
                 on_success: Callable[[], None] = lambda: None, clock: Callable[[], float] = time.monotonic) -> None:
        self.client, self.ledger, self.pacer = client, ledger, pacer
        self.on_success = on_success
        self._clock = clock
        self._quiet_until = 0.0

    @property
    def quiet(self) -> bool:
        """Slack failed a call less than ``QUIET`` seconds ago and has not answered since."""
        return self._clock() < self._quiet_until

    def answered(self) -> None:
        self._quiet_until = 0.0
        self.on_success()

    def failed(self, exc: Exception) -> None:
        # A background call refused for its rate (not retried, see _RateLimitRetry) says nothing of an outage.
        if not is_permanent(exc) and not (on_background_thread() and slack_error(exc) == "ratelimited"):
            self._quiet_until = self._clock() + QUIET

    def post(self, channel: str, message: dict[str, Any], *, thread: str | None = None) -> dict[str, Any]:
        """Post, raising on failure (the caller decides what is owed)."""
        self.pacer.wait(channel)
        try:
            response = self.client.chat_postMessage(channel=channel, thread_ts=thread, unfurl_links=False,
                                                    unfurl_media=False, **message)
        except Exception as exc:
            self.failed(exc)
            raise
        self.answered()
        return response.data if isinstance(response.data, dict) else {}

    def post_parent(self, sess: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        """Post a session's parent; if an attempt timed out, edit any copy that landed to point here."""
        _seen.timeouts = 0
        posted = self.post(sess["channel"], message)
        if _seen.timeouts:
            self.settle_orphans(sess, str(posted.get("ts")))
        return posted

    def settle_orphans(self, sess: dict[str, Any], live_ts: str) -> int:
        """Other parents of this session in the channel (a post Slack took but never confirmed)
        are edited to point to the live one. Needs channels:history; without it, nothing is done."""
        sid, channel = sess["id"], sess["channel"]
        try:
            recent = self.client.conversations_history(channel=channel, limit=50).get("messages") or []
        except Exception as exc:  # noqa: BLE001 - a nicety: the live parent is already right
            log.warning("could not look for copies of the parent of %s: %s", sid, slack_error(exc))
            return 0
        copies = [m["ts"] for m in recent if m.get("ts") != live_ts and _is_parent_of(m, sid)]
        if not copies:
            return 0
        try:
            link = self.client.chat_getPermalink(channel=channel, message_ts=live_ts).get("permalink")
        except Exception:  # noqa: BLE001
            link = None
        for ts in copies:
            try:
                self.client.chat_update(channel=channel, ts=ts, **blocks.moved_message(link))
            except Exception as exc:  # noqa: BLE001
                log.warning("could not retire a copy of the parent of %s: %s", sid, slack_error(exc))
        log.info("retired %d copy(ies) of the parent of %s", len(copies), sid)
        return len(copies)

    def reply(self, sess: dict[str, Any], message: dict[str, Any]) -> bool:
        """A thread reply; owed when Slack fails (or failed just now) or the parent is not posted yet."""
        # Behind owed replies of the same thread, this one waits too: the thread keeps its order.
        behind = self.ledger.owing and self.ledger.owes(sess["id"], "reply")
        if sess.get("thread_ts") and not self.quiet and not behind:
            try:
                self.post(sess["channel"], message, thread=sess["thread_ts"])
                return True
            except Exception as exc:  # noqa: BLE001 - Slack's answer or its silence: the run goes on
                log.warning("thread reply for %s failed: %s", sess["id"], slack_error(exc))
                if is_permanent(exc):
                    return False
        self.ledger.owe_reply(sess["id"], message)
        return False

    def update_parent(self, sess: dict[str, Any], message: dict[str, Any]) -> bool:
        """Show ``message`` in the parent; owed when that fails (or there is no parent yet)."""
        sid = sess["id"]
        if not sess.get("thread_ts") or self.quiet:
            self.ledger.owe_parent(sid, message)
            return False
        try:
            self.client.chat_update(channel=sess["channel"], ts=sess["thread_ts"], **message)
        except Exception as exc:  # noqa: BLE001 - a stale status line must not abort the run
            log.warning("chat.update failed for %s: %s", sid, slack_error(exc))
            self.failed(exc)
            if not is_permanent(exc):
                self.ledger.owe_parent(sid, message)
            return False
        if self.ledger.owing and self.ledger.owes(sid, "parent"):
            self.ledger.settle_parent(sid)  # this rendering is newer than the owed one
        self.answered()
        return True

    def tell_requester(self, sess: dict[str, Any], text: str, response_url: str | None = None) -> bool:
        """An ephemeral note: through the response_url while Slack accepts it, else chat.postEphemeral."""
        url = response_url or self.ledger.take_reply_url(sess["id"])
        try:
            if url:  # works in channels the bot is not in, unlike chat.postEphemeral
                sent = WebhookClient(url, timeout=10).send(text=text, response_type="ephemeral")
                if sent.status_code != 200:
                    raise ConnectionError(f"response_url answered HTTP {sent.status_code}")
            else:
                self.client.chat_postEphemeral(channel=sess["channel"], user=sess["requester"], text=text)
            return True
        except Exception:  # noqa: BLE001
            log.warning("could not tell the requester of session %s the outcome", sess["id"])
            return False


def _is_parent_of(message: dict[str, Any], session_id: str) -> bool:
    """A status message of this session: our parent block ids, and the session's buttons."""
    found = message.get("blocks") or []
    ours = any(str(b.get("block_id", "")).startswith(PARENT_BLOCK_PREFIX) for b in found if isinstance(b, dict))
    return ours and f'"value": "{session_id}"' in json.dumps(found)
