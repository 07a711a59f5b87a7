"""What a request from Slack looks like, checked before Bolt parses it.

Bolt and the listeners index into a payload (``body["user"]["id"]``, ``action["action_id"]``,
``view["state"]["values"]``); a signed body of another shape would fail there, deep inside
Bolt, with a traceback. This module says in one short line what is wrong instead, so the
HTTP guard can answer 400. The parsing mirrors ``slack_bolt.request.internals.parse_body``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

_OBJECTS = ("team", "user", "channel", "enterprise", "container", "view", "message", "event")
_COMMAND_FIELDS = ("command", "user_id", "channel_id", "trigger_id")
_VIEW_TYPES = ("view_submission", "view_closed")


def shape_problem(body: bytes, content_type: str) -> str | None:
    """Why this body is not a Slack request the bot can take, or None when it is."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return "body is not JSON"
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return "JSON body is not an object with a type"
        return _objects_problem(data)
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" not in form:
        missing = [f for f in _COMMAND_FIELDS if not form.get(f)]
        return f"slash command without {', '.join(missing)}" if missing else None
    try:
        payload = json.loads(form["payload"])
    except ValueError:
        return "payload is not JSON"
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return "payload is not an object with a type"
    return _payload_problem(payload)


def _objects_problem(data: dict[str, Any]) -> str | None:
    wrong = [k for k in _OBJECTS if k in data and data[k] is not None and not isinstance(data[k], dict)]
    if wrong:
        return f"{', '.join(wrong)} not an object"
    auths = data.get("authorizations")
    if auths is not None and not (isinstance(auths, list) and all(isinstance(a, dict) for a in auths)):
        return "authorizations not a list of objects"
    return None


def _payload_problem(payload: dict[str, Any]) -> str | None:
    problem = _objects_problem(payload)
    if problem:
        return problem
    if not isinstance((payload.get("user") or {}).get("id"), str):
        return f"{payload['type']} without a user id"
    actions = payload.get("actions")
    if payload["type"] == "block_actions" or actions is not None:
        if not (isinstance(actions, list) and actions and all(
                isinstance(a, dict) and isinstance(a.get("action_id"), str)
                and isinstance(a.get("value", ""), str) for a in actions)):
            return "actions not a list of objects with an action_id"
    if payload["type"] in _VIEW_TYPES:
        view = payload.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return f"{payload['type']} without a view callback_id"
        if not isinstance(view.get("private_metadata", ""), str):
            return "view private_metadata not a string"
        values = (view.get("state") or {}).get("values", {}) if isinstance(view.get("state") or {}, dict) else None
        if not (isinstance(values, dict) and all(
                isinstance(block, dict) and all(isinstance(element, dict) for element in block.values())
                for block in values.values())):
            return "view state values not objects of objects"
    return None
