"""``/aprity-diagnose``: diagnose a connection, explain a pasted error, or open the form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from checks.advice import advice_for
from checks.explain import explain

from .. import blocks
from ..command import CommandError, connection_for, connection_names, parse
from ..executor import QueueFull
from ..sessions import SessionService
from ..settings import Settings

log = logging.getLogger(__name__)
COMMAND = "/aprity-diagnose"


def explain_reply(text: str) -> dict[str, Any]:
    expl = explain(text)
    view = blocks.ExplainView(found=expl.found, error=expl.error, candidates=expl.candidates, clues=expl.clues,
                              warnings=expl.warnings, source=expl.source,
                              fixes={c.id: advice_for(c.id, expl.advice_context("slack")).fix
                                     for c in expl.candidates[:1]})
    return blocks.explain_message(view)


def register(app: App, service: SessionService, settings: Settings) -> None:
    @app.command(COMMAND)
    def on_command(ack: Ack, command: dict, client: WebClient, respond: Respond) -> None:
        try:
            parsed = parse(command.get("text", ""))
            if parsed.kind == "modal":
                ack()
                # The trigger id expires 3 s after the command: open the form before anything else.
                names = connection_names(settings.engine.connections_file)
                client.views_open(trigger_id=command["trigger_id"],
                                  view=blocks.diagnose_modal(names, private_metadata=command["channel_id"]))
                return
            if parsed.kind == "help":
                ack(**blocks.usage_message())
                return
            if parsed.kind == "explain":
                ack()
                try:
                    service.executor.submit(lambda: respond(response_type="in_channel",
                                                            **explain_reply(parsed.text)))
                except QueueFull:
                    respond(text="The bot is busy with many checks right now; try again in a minute.")
                return
            conn = connection_for(parsed, allowlist=settings.engine.allowlist,
                                  connections_file=settings.engine.connections_file,
                                  private_key_file=settings.engine.private_key_file)
        except CommandError as exc:
            usage = blocks.usage_message()
            ack(text=f"⚠️ {blocks.escape_mrkdwn(exc)}", blocks=[blocks.kit.section(f"⚠️ {blocks.escape_mrkdwn(exc)}")] + usage["blocks"])
            return
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))
            respond(text="I could not open the form in time; try again, or type `/aprity-diagnose NAME`.")
            return
        # Only local work happens before the ack (a SQLite insert, queueing): no network call.
        name = conn.name or conn.username
        try:
            _, waiting = service.start(channel=command["channel_id"], requester=command["user_id"], connection=conn,
                                       response_url=command.get("response_url"))
        except QueueFull:
            ack(text="The bot is busy with many checks right now; try again in a minute.")
            return
        if waiting:
            ack(**blocks.queued_message(waiting))
        else:
            ack(text=f"Checking {blocks.escape_mrkdwn(name)}… the status message will appear in this channel.")
