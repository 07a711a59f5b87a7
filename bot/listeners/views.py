"""The form opened by a bare ``/aprity-diagnose``."""

from __future__ import annotations

from slack_bolt import Ack, App

from checks.connections import Connection

from .. import blocks
from ..command import CommandError, Parsed, connection_for
from ..executor import QueueFull
from ..ids import DIAGNOSE_MODAL, ModalBlock
from ..sessions import SessionService
from ..settings import Settings


def _parsed(form: blocks.ModalInput) -> tuple[Parsed | None, dict[str, str]]:
    if form.connection:
        return Parsed("named", name=form.connection), {}
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
    return Parsed("adhoc", fields=fields), {}


def register(app: App, service: SessionService, settings: Settings) -> None:
    @app.view(DIAGNOSE_MODAL)
    def on_submit(ack: Ack, body: dict, view: dict) -> None:
        form = blocks.read_diagnose_modal(view.get("state", {}).get("values", {}))
        parsed, errors = _parsed(form)
        conn: Connection | None = None
        if parsed is not None:
            try:
                conn = connection_for(parsed, allowlist=settings.engine.allowlist,
                                      connections_file=settings.engine.connections_file,
                                      private_key_file=settings.engine.private_key_file)
            except CommandError as exc:
                block = ModalBlock.CONNECTION if parsed.kind == "named" else ModalBlock.LOGIN_URL
                errors = {block.value: str(exc)[:150]}
        if errors or conn is None:
            ack(response_action="errors", errors=errors)
            return
        try:
            service.start(channel=view.get("private_metadata") or body["user"]["id"], requester=body["user"]["id"],
                          connection=conn)
        except QueueFull:
            ack(response_action="errors", errors={ModalBlock.LOGIN_URL.value: "The bot is busy; submit again in a "
                                                                              "minute."})
            return
        ack()
