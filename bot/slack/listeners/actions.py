"""Buttons: retest now, escalate to support, the customer's checklist, and share an ``explain`` answer.

A session's buttons act only when clicked in the session's own channel, and only while
the access policy still allows that session there; anything else gets an ephemeral
refusal and changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import blocks
from bot.sessions.customer import post_checklist, show_checklist
from bot.sessions.escalation import escalate
from bot.sessions.executor import QueueFull
from bot.ids import ActionId
from bot.sessions.service import SessionService, slack_error
from bot.policy.throttle import Busy, Later, busy_text, later_text
from bot.slack.listeners.gate import Gate, session_request

log = logging.getLogger(__name__)
ELSEWHERE = "This button belongs to a check in another channel; it does nothing here."
UNKNOWN = "This session is no longer known to the bot; run /aprity-diagnose again."
RUNNING = "A check of this connection is already running; its result will appear in the thread."


def click_channel(body: dict[str, Any]) -> str:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""


def register(app: App, service: SessionService, gate: Gate) -> None:
    def tell(respond: Respond, text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    def allowed_session(body: dict, action: dict) -> tuple[dict[str, Any] | None, str | None]:
        """The clicked session if this click may act on it; otherwise what to tell the clicker.

        Local only (SQLite, the policy): the listeners call it before they ack.
        """
        sess = service.store.session(action.get("value", ""))
        if sess is None:
            return None, UNKNOWN
        channel, user = click_channel(body), (body.get("user") or {}).get("id") or ""
        if channel != sess["channel"]:
            return None, ELSEWHERE
        decision, _, _ = gate.decide(channel, user, session_request(sess))
        if not decision.allowed:  # e.g. the connection was unbound from this channel since
            return None, "Checks of this connection are no longer enabled in this channel."
        return sess, None

    @app.action(re.compile(rf"^{ActionId.SETUP_LINK.value}_\d+$"))
    def on_setup_link(ack: Ack) -> None:
        ack()  # the browser opens the link; nothing to do here

    @app.action(ActionId.RETEST.value)
    def on_retest(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        # All local (SQLite, the throttle, the executor), so it comes before the ack: the run is claimed
        # and queued by the time Slack hears back, which keeps a double click deterministic.
        notice: str | None = None
        try:
            sess, notice = allowed_session(body, action)
            if sess is not None:
                # "I fixed it" and "Check again" obey the connection's rule like a command: one run at a
                # time (any session of it), six a minute, the first press after a run always honoured.
                outcome = gate.throttle.retest(sess, lambda: service.retest(sess["id"], body["user"]["id"]),
                                               button=True, ran=lambda refused: refused is None)
                if isinstance(outcome, Busy):
                    notice = RUNNING if outcome.session and outcome.session["id"] == sess["id"] else \
                        busy_text(outcome.session, sess["channel"], (body.get("team") or {}).get("domain"))
                elif isinstance(outcome, Later):
                    notice = later_text(outcome.at, gate.throttle.clock())
                else:
                    notice = outcome.value
        finally:
            ack()
        if notice:
            tell(respond, notice)

    @app.action(ActionId.ESCALATE.value)
    def on_escalate(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        notice: str | None = None
        try:  # queued before the ack, like a retest
            sess, notice = allowed_session(body, action)
            if sess is not None:
                clicker = body["user"]["id"]
                try:
                    service.executor.submit(lambda: escalate(service, sess["id"], clicker))
                except QueueFull:
                    notice = "The bot is busy; press Escalate again in a minute."
        finally:
            ack()
        if notice:
            tell(respond, notice)

    def off_the_listener(respond: Respond, job: Callable[[], None]) -> None:
        """Slack calls (and their retries) run on the bot's pool, never on Bolt's listener threads."""
        try:
            service.executor.submit(job)
        except QueueFull:
            tell(respond, "The bot is busy; press the button again in a minute.")

    @app.action(ActionId.FOR_CUSTOMER.value)
    def on_for_customer(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        sess, notice = allowed_session(body, action)  # local: SQLite and the policy, before the ack
        ack()
        if sess is None:
            tell(respond, notice or UNKNOWN)
            return

        def show() -> None:
            try:  # to the clicker only: support decides whether the customer sees it
                show_checklist(service, sess["id"], sess["channel"], body["user"]["id"])
            except Exception as exc:  # noqa: BLE001 - no stack trace in Slack: one line, and the log
                log.warning("checklist of %s not shown: %s", sess["id"], slack_error(exc))
                tell(respond, "Slack did not take the checklist; press For the customer again.")

        off_the_listener(respond, show)

    @app.action(ActionId.POST_CHECKLIST.value)
    def on_post_checklist(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        sess, notice = allowed_session(body, action)  # the policy again: it may have changed since the preview
        ack()
        if sess is None:
            tell(respond, notice or UNKNOWN)
            return

        def post() -> None:
            problem = post_checklist(service, sess["id"], sess["channel"])
            if problem:
                tell(respond, problem)
            else:
                respond(replace_original=True, text="Posted in the channel.")

        off_the_listener(respond, post)

    @app.action(ActionId.SHARE_EXPLAIN.value)
    def on_share(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        held = gate.shares.get(action.get("value", ""))
        user = (body.get("user") or {}).get("id") or ""
        if held is None:
            tell(respond, "This answer is no longer held by the bot; run `/aprity-diagnose explain …` again.")
            return
        channel, requester, shared = held
        if click_channel(body) != channel or user != requester:
            tell(respond, ELSEWHERE)
            return
        gate.shares.pop(action["value"])  # once: a second click must not post it twice
        respond(response_type="in_channel", replace_original=False, **blocks.shared_explain_message(shared, by=user))
        respond(replace_original=True, text="Shared in the channel.")
