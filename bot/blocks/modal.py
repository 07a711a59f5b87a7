"""The form opened by ``/aprity-diagnose`` with no arguments, and the reader for its submission."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.ids import DIAGNOSE_MODAL, ModalAction, ModalBlock
from bot.blocks.kit import context, finish, section
from bot.blocks.text import ELLIPSIS, MAX_MODAL_BLOCKS, MAX_OPTIONS, OPTION_TEXT, OPTION_VALUE, plain


def _pt(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": plain(text, limit) or "—"}


def _option(name: str) -> dict[str, Any]:
    return {"text": _pt(name, OPTION_TEXT), "value": name}


def _text_input(block: ModalBlock, action: ModalAction, label: str, placeholder: str, hint: str | None,
                max_length: int) -> dict[str, Any]:
    b: dict[str, Any] = {
        "type": "input", "block_id": block, "optional": True, "label": _pt(label, 2000),
        "element": {"type": "plain_text_input", "action_id": action, "max_length": max_length,
                    "placeholder": _pt(placeholder, 150)},
    }
    if hint:
        b["hint"] = _pt(hint, 2000)
    return b


APP_TYPES = (("external_client_app", "External Client App"), ("connected_app", "Connected App (older)"),
             ("unknown", "Don't know"))


def _app_type_select() -> dict[str, Any]:
    """Which kind of app: the fixes name that kind's Setup screens (Salesforce's answers may still prove it)."""
    return {"type": "input", "block_id": ModalBlock.APP_TYPE, "optional": True, "label": _pt("App type", 2000),
            "hint": _pt("New apps since Spring '26 are External Client Apps.", 2000),
            "element": {"type": "static_select", "action_id": ModalAction.APP_TYPE,
                        "placeholder": _pt("Don't know", 150),
                        "options": [{"text": _pt(label, OPTION_TEXT), "value": value} for value, label in APP_TYPES]}}


def _connection_select(names: Sequence[str]) -> tuple[dict[str, Any] | None, str | None]:
    # Values carry the full name (the lookup key), so names longer than a value allows are left out.
    usable = [n for n in dict.fromkeys(n for n in names if n and n.strip()) if len(n) <= OPTION_VALUE]
    note = None
    if len(usable) < len([n for n in names if n and n.strip()]):
        note = "Some saved connections have names too long to list; use the fields below for those."
    if not usable:
        return None, note
    element: dict[str, Any] = {"type": "static_select", "action_id": ModalAction.CONNECTION,
                               "placeholder": _pt("Choose a saved connection", 150)}
    if len(usable) <= MAX_OPTIONS:
        element["options"] = [_option(n) for n in usable]
    else:
        # One select holds 100 options, but up to 100 groups of 100 each.
        groups = [usable[i:i + MAX_OPTIONS] for i in range(0, len(usable), MAX_OPTIONS)][:MAX_OPTIONS]
        element["option_groups"] = [
            {"label": _pt(f"{g[0][:30]} {ELLIPSIS} {g[-1][:30]}", OPTION_TEXT), "options": [_option(n) for n in g]}
            for g in groups]
    block = {"type": "input", "block_id": ModalBlock.CONNECTION, "optional": True,
             "label": _pt("Saved connection", 2000), "element": element}
    return block, note


def diagnose_modal(connection_names: Sequence[str], *, private_metadata: str = "",
                   adhoc: bool = True) -> dict[str, Any]:
    """A modal view for ``views.open``; ``private_metadata`` (≤3000 chars) carries where it was opened.

    ``adhoc=False`` (a customer channel) leaves out the fields: only the saved connections listed.
    """
    select, note = _connection_select(connection_names)
    intro = ("Pick a saved connection, *or* fill in username, consumer key and login URL. "
             if adhoc else "Pick the connection to check. ")
    blocks: list = [section(intro + "No private key is asked for here.")]
    if select:
        blocks.append(select)
    else:
        blocks.append(context(["No saved connections are configured; describe the connection below."]))
    if note:
        blocks.append(context([note]))
    blocks += [] if not adhoc else [
        _text_input(ModalBlock.USERNAME, ModalAction.USERNAME, "Integration username",
                    "integration.user@example.com", None, 80),
        _text_input(ModalBlock.CONSUMER_KEY, ModalAction.CONSUMER_KEY, "Consumer key",
                    "3MVG9…", "The app's Consumer Key (not the secret).", 255),
        _text_input(ModalBlock.LOGIN_URL, ModalAction.LOGIN_URL, "Login URL",
                    "https://login.salesforce.com", "Production, test.salesforce.com, or the org's My Domain URL.",
                    300),
        _text_input(ModalBlock.APP, ModalAction.APP, "App name in Salesforce", "Optional", None, 80),
        _app_type_select(),
    ]
    view = {
        "type": "modal", "callback_id": DIAGNOSE_MODAL,
        "title": _pt("Diagnose connection", 24), "submit": _pt("Run checks", 24), "close": _pt("Cancel", 24),
        "blocks": finish("form", blocks, max_blocks=MAX_MODAL_BLOCKS)["blocks"],
    }
    if private_metadata:
        if len(private_metadata) > 3000:
            raise ValueError("private_metadata must be at most 3000 characters")
        view["private_metadata"] = private_metadata
    return view


def notice_modal(text: str) -> dict[str, Any]:
    """What the form turns into when a submission is refused (``response_action: update``)."""
    return {"type": "modal", "title": _pt("Diagnose connection", 24), "close": _pt("Close", 24),
            "blocks": finish("notice", [section(text)], max_blocks=MAX_MODAL_BLOCKS)["blocks"]}


@dataclass(frozen=True)
class ModalInput:
    connection: str | None
    username: str | None
    consumer_key: str | None
    login_url: str | None
    app: str | None
    app_type: str | None = None


def read_diagnose_modal(state_values: Mapping[str, Any]) -> ModalInput:
    """``view["state"]["values"]`` of a submitted diagnose modal → stripped values (None when empty)."""

    def get(block: ModalBlock, action: ModalAction) -> str | None:
        el = (state_values.get(block) or {}).get(action) or {}
        value = (el.get("selected_option") or {}).get("value") if "selected_option" in el else el.get("value")
        value = (value or "").strip()
        return value or None

    return ModalInput(
        connection=get(ModalBlock.CONNECTION, ModalAction.CONNECTION),
        username=get(ModalBlock.USERNAME, ModalAction.USERNAME),
        consumer_key=get(ModalBlock.CONSUMER_KEY, ModalAction.CONSUMER_KEY),
        login_url=get(ModalBlock.LOGIN_URL, ModalAction.LOGIN_URL),
        app=get(ModalBlock.APP, ModalAction.APP),
        app_type=get(ModalBlock.APP_TYPE, ModalAction.APP_TYPE),
    )
