"""``/aprity-diagnose``: diagnose a connection, explain a pasted error, or open the form.

Order matters: the access policy first (before the text is even parsed, a channel
where nothing is enabled gets one fixed refusal), then input checks, then the
per-connection throttle, then the session. Nothing before the ack touches the network.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from checks.rules.advice import advice_for
from checks.explain.reader import explain

from bot import blocks
from bot.policy.access import NOT_ENABLED_TEXT, Kind, Request, Scope, decide, refusal_text, scope_of
from bot.slack.command import CommandError, Parsed, connection_for, parse
from bot.sessions.executor import QueueFull
from bot.policy.inputs import KIND_NAMES, ROTATE, scrub, secret_kinds
from bot.sessions.service import SessionService
from bot.policy.throttle import Busy, Later, busy_text, later_text
from bot.slack.listeners.gate import Gate, form_metadata

log = logging.getLogger(__name__)
COMMAND = "/aprity-diagnose"
BUSY = "The bot is busy with many checks right now; try again in a minute."


def explain_reply(text: str, *, warnings: bool = True) -> dict[str, Any]:
    """The reading of a pasted text (redacted before anything is read from it)."""
    expl = explain(text)
    view = blocks.ExplainView(found=expl.found, error=expl.error, candidates=expl.candidates, clues=expl.clues,
                              warnings=expl.warnings if warnings else (), source=expl.source,
                              fixes={c.id: advice_for(c.id, expl.advice_context("slack")).fix
                                     for c in expl.candidates[:1]},
                              next_check=expl.next_check_for("slack"))
    return blocks.explain_message(view)


def secret_notice(text: str) -> str | None:
    """Which kinds of secret the paste held, and that they must be rotated; None when it held none."""
    kinds = secret_kinds(text)
    if not kinds:
        return None
    named = " and ".join(KIND_NAMES[k] for k in kinds)
    return (f"Your paste contained {named}. It was not posted or stored, but treat it as exposed: "
            f"it must be rotated. " + " ".join(ROTATE[k] for k in kinds))


def _request(parsed: Parsed) -> Request:
    kind = {"named": Kind.NAMED, "adhoc": Kind.ADHOC, "explain": Kind.EXPLAIN}.get(parsed.kind, Kind.FORM)
    return Request(kind, parsed.name)


def _refuse(ack: Ack, text: str, *, usage: bool = False, adhoc: bool = False) -> None:
    safe = f"⚠️ {blocks.escape_mrkdwn(text[:1500])}"
    extra = blocks.usage_message(adhoc=adhoc)["blocks"] if usage else []
    ack(text=safe, blocks=[blocks.kit.section(safe)] + extra)


def register(app: App, service: SessionService, gate: Gate) -> None:
    settings = gate.settings

    @app.command(COMMAND)
    def on_command(ack: Ack, command: dict, client: WebClient, respond: Respond) -> None:
        channel, user = command.get("channel_id") or "", command.get("user_id") or ""
        rules, conns, file_error = gate.rules()
        scope = scope_of(channel, rules)
        if scope is Scope.NONE:
            ack(text=NOT_ENABLED_TEXT)  # no name, no org, no parsing of what was typed
            return
        staff = scope is Scope.STAFF
        try:
            parsed = parse(command.get("text", ""))
        except CommandError as exc:
            _refuse(ack, str(exc), usage=True, adhoc=staff)
            return
        request = _request(parsed)
        decision = decide(channel, user, request, rules)
        if not decision.allowed:
            shown = blocks.escape_mrkdwn(repr(parsed.name)[:110]) if parsed.name else ""
            if file_error and request.kind is Kind.NAMED and decision.scope is Scope.STAFF:
                _refuse(ack, file_error)  # staff need to know the file is broken, not "unknown"
            else:
                _refuse(ack, refusal_text(decision, request, shown_name=shown))
            return
        if parsed.kind == "help":
            ack(**blocks.usage_message(adhoc=staff))
            return
        if parsed.kind == "modal":
            ack()
            try:  # the trigger id expires 3 s after the command: open the form before anything else
                client.views_open(trigger_id=command["trigger_id"], view=blocks.diagnose_modal(
                    decision.names, private_metadata=form_metadata(channel, user), adhoc=decision.adhoc_allowed))
            except SlackApiError as exc:
                log.warning("views.open failed: %s", exc.response.get("error"))
                respond(text="I could not open the form in time; try again, or type `/aprity-diagnose NAME`.")
            return
        if parsed.kind == "explain":
            ack()
            _explain(parsed.text, channel, user, respond)
            return
        try:
            conn = connection_for(parsed, allowlist=settings.engine.allowlist,
                                  connections_file=settings.engine.connections_file,
                                  private_key_file=settings.engine.private_key_file, connections=conns)
        except CommandError as exc:
            _refuse(ack, str(exc), usage=True, adhoc=staff)
            return
        # Only local work happens before the ack (a lock, SQLite, queueing): no network call.
        try:
            outcome = gate.throttle.command(conn, lambda: service.start(
                channel=channel, requester=user, connection=conn, response_url=command.get("response_url")))
        except QueueFull:
            ack(text=BUSY)
            return
        if isinstance(outcome, Busy):
            ack(text=busy_text(outcome.session, channel, command.get("team_domain")))
        elif isinstance(outcome, Later):
            ack(text=later_text(outcome.at, gate.throttle.clock()))
        elif outcome.value[1]:
            ack(**blocks.queued_message(outcome.value[1]))
        else:
            name = blocks.escape_mrkdwn(conn.name or conn.username)
            ack(text=f"Checking {name}… the status message will appear in this channel.")

    def _explain(text: str, channel: str, user: str, respond: Respond) -> None:
        def answer() -> None:
            clean = scrub(text)
            shared = explain_reply(clean, warnings=False)  # what the channel may see: the reading, no warnings
            key = gate.shares.put(channel, user, shared)
            own = blocks.private_explain_message(explain_reply(clean), share_key=key,
                                                 secret_notice=secret_notice(text))
            respond(response_type="ephemeral", **own)

        try:
            service.executor.submit(answer)
        except QueueFull:
            respond(text=BUSY, response_type="ephemeral")
