"""The form opened by a bare ``/aprity-diagnose``.

The submission is checked as if it were a new command: the channel and user it was
opened for come from ``private_metadata`` and must match the submitter, and the
access policy runs again on that channel (the file may have changed meanwhile).
"""

from __future__ import annotations

from slack_bolt import Ack, App

from checks.connections import Connection

from bot import blocks
from bot.policy.access import Kind, Request, decide, refusal_text
from bot.slack.command import CommandError, Parsed, connection_for
from bot.sessions.executor import QueueFull
from bot.policy.inputs import InputError, check_field
from bot.ids import DIAGNOSE_MODAL, ModalBlock
from bot.sessions.service import SessionService
from bot.policy.throttle import Busy, Later, busy_text, later_text
from bot.slack.listeners.gate import Gate, read_form_metadata


def _parsed(form: blocks.ModalInput, adhoc: bool) -> tuple[Parsed | None, dict[str, str]]:
    if form.connection:
        return Parsed("named", name=form.connection), {}
    if not adhoc:
        return None, {ModalBlock.CONNECTION.value: "Pick the connection to check."}
    errors = {}
    for block, value, label in ((ModalBlock.USERNAME, form.username, "username"),
                                (ModalBlock.CONSUMER_KEY, form.consumer_key, "consumer key"),
                                (ModalBlock.LOGIN_URL, form.login_url, "login URL")):
        if not value:
            errors[block.value] = f"Pick a saved connection, or enter the {label}."
    if errors:
        return None, errors
    fields = {"username": form.username or "", "consumer_key": form.consumer_key or "",
              "login_url": form.login_url or "", "app": form.app or ""}
    blocks_of = {"username": ModalBlock.USERNAME, "consumer_key": ModalBlock.CONSUMER_KEY,
                 "login_url": ModalBlock.LOGIN_URL, "app": ModalBlock.APP}
    for key, value in fields.items():  # each refusal under its own field (the value is never repeated)
        try:
            check_field(key, value)
        except InputError as exc:
            errors[blocks_of[key].value] = _short(str(exc))
    if errors:
        return None, errors
    if form.app_type and form.app_type != "unknown":  # a fixed choice from the select, checked again later
        fields["app_type"] = form.app_type
    return Parsed("adhoc", fields=fields), {}


def _short(message: str, limit: int = 150) -> str:
    """A field error Slack shows in full: whole sentences up to ``limit`` characters."""
    if len(message) <= limit:
        return message
    cut = message[:limit].rfind(". ")
    return message[:cut + 1] if cut > 0 else message[:limit - 1] + "…"


def register(app: App, service: SessionService, gate: Gate) -> None:
    settings = gate.settings

    @app.view(DIAGNOSE_MODAL)
    def on_submit(ack: Ack, body: dict, view: dict) -> None:
        user = (body.get("user") or {}).get("id") or ""
        opened = read_form_metadata(view.get("private_metadata"))
        if opened is None or opened[1] != user:
            ack(response_action="update", view=blocks.notice_modal(
                "This form can no longer be used; run `/aprity-diagnose` again."))
            return
        channel = opened[0]
        rules, conns, _ = gate.rules()  # as of now: the file may have changed since the form was opened
        here = decide(channel, user, Request(Kind.FORM), rules)
        if not here.allowed:
            ack(response_action="update", view=blocks.notice_modal(refusal_text(here, Request(Kind.FORM))))
            return
        form = blocks.read_diagnose_modal(view.get("state", {}).get("values", {}))
        parsed, errors = _parsed(form, here.adhoc_allowed)
        conn: Connection | None = None
        if parsed is not None:
            request = Request(Kind.NAMED if parsed.kind == "named" else Kind.ADHOC, parsed.name)
            decision = decide(channel, user, request, rules)
            if not decision.allowed:  # a name not usable here, or fields where only names are allowed
                ack(response_action="update", view=blocks.notice_modal(refusal_text(
                    decision, request, shown_name=blocks.escape_mrkdwn(repr(parsed.name)[:110]))))
                return
            try:
                conn = connection_for(parsed, allowlist=settings.engine.allowlist,
                                      connections_file=settings.engine.connections_file,
                                      private_key_file=settings.engine.private_key_file, connections=conns)
            except CommandError as exc:
                block = ModalBlock.CONNECTION if parsed.kind == "named" else ModalBlock.LOGIN_URL
                errors = {block.value: str(exc)[:150]}
        if errors or conn is None:
            ack(response_action="errors", errors=errors)
            return
        try:
            outcome = gate.throttle.command(conn, lambda: service.start(channel=channel, requester=user,
                                                                        connection=conn))
        except QueueFull:
            ack(response_action="update", view=blocks.notice_modal("The bot is busy; try again in a minute."))
            return
        if isinstance(outcome, Busy):
            ack(response_action="update", view=blocks.notice_modal(busy_text(outcome.session, channel, None)))
        elif isinstance(outcome, Later):
            ack(response_action="update", view=blocks.notice_modal(later_text(outcome.at, gate.throttle.clock())))
        else:
            ack()
