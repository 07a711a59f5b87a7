"""The two buttons on the status message: retest now, and escalate to support."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from ..escalation import escalate
from ..executor import QueueFull
from ..ids import ActionId
from ..sessions import SessionService


def register(app: App, service: SessionService) -> None:
    @app.action(ActionId.RETEST.value)
    def on_retest(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        # claim + queue are local (SQLite, executor), so the ack still comes within milliseconds
        notice = service.retest(action.get("value", ""), body["user"]["id"])
        ack()
        if notice:
            respond(text=notice, response_type="ephemeral", replace_original=False)

    @app.action(ActionId.ESCALATE.value)
    def on_escalate(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        sid, user = action.get("value", ""), body["user"]["id"]
        try:
            service.executor.submit(lambda: escalate(service, sid, user))
            ack()
        except QueueFull:
            ack()
            respond(text="The bot is busy; press Escalate again in a minute.", response_type="ephemeral",
                    replace_original=False)
