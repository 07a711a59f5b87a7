"""Every sink escaped: Slack markup put in every field a customer, a user or Salesforce controls (connection
name, app name, username, login URL path, Salesforce's error texts, a pasted error) reaches Slack as text —
never a ping, a link or a mention — in every Slack call the bot makes (messages, updates, ephemerals,
response_url posts, file comments, the Home tab, escalations) and in every ack.

Real Bolt app over real HTTP, the Slack stand-in records every call; Salesforce is the simulator, with a
hostile token endpoint for one host that answers with markup in its error texts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from bot.ids import ActionId
from checks.scenarios import by_name
from checks.simulator import SimTransport

from bot_harness import CHANNEL, USER, BotHarness, bot_env, open_home, toml_for
from slack_stub import SlackStub

MARKUP = "<!channel> <!here> <http://evil.example|Salesforce> <@U0EVIL> <#C0EVIL> <!subteam^S0EVIL>"
SAID = "user hasn't approved this consumer <!here> <http://evil.example/sf|Setup> <@U0EVIL>"
SHORT = "<!channel> <http://evil.example|x> <@U0EVIL>"  # within the form's 80 characters
FORBIDDEN = ("<!channel", "<!here", "<!subteam", "<http://evil", "<@U0EVIL", "<#C0EVIL")
HOSTILE_HOST = "test.salesforce.com"


class Hostile(httpx.BaseTransport):
    """The simulator, except that one login host answers every token request with markup in its errors."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == HOSTILE_HOST and request.url.path.endswith("/token"):
            body = {"error": "invalid_grant <!channel>", "error_description": SAID}
            return httpx.Response(400, json=body, request=request)
        return self.inner.handle_request(request)


@pytest.fixture
def harness(tmp_path, world) -> Iterator[BotHarness]:
    cert = by_name("cert-regenerated").build(world)
    conns = {
        # The certificate upload's comment names the app: the finding of the issue.
        "evil<!channel><http://evil.example|x>": replace(cert, connected_app=MARKUP, name=None),
        "hostile<@U0EVIL>": replace(cert, username="a<!channel><@U0EVIL>@acme.com", name=None,
                                    login_url=f"https://{HOSTILE_HOST}/<!here>", connected_app=MARKUP),
    }
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    with SlackStub() as stub:
        h = BotHarness.start(bot_env(tmp_path, stub, "http://127.0.0.1:9", world.key_file,
                                     APRITY_STAFF_CHANNELS=f"{CHANNEL},C0ESCALATE"),
                             stub, transport=Hostile(SimTransport(world.sim)))
        yield h
        h.close()


def leaks(text: str) -> list[str]:
    return [f for f in FORBIDDEN if f in text]


def shown_text(obj: object, key: str = "") -> str:
    """Every string Slack would render or parse; an option's or button's ``value`` is data sent back to
    the bot, never displayed (the picker's value must be the connection's real name)."""
    if isinstance(obj, str):
        if obj[:1] in "{[":
            try:
                return shown_text(json.loads(obj), key)
            except ValueError:
                pass
        return "" if key == "value" else obj
    if isinstance(obj, dict):
        return "\n".join(shown_text(v, k) for k, v in obj.items())
    if isinstance(obj, list):
        return "\n".join(shown_text(v, key) for v in obj)
    return ""


def test_markup_in_every_field_reaches_no_slack_call_unescaped(harness) -> None:
    h = harness
    answers = []
    for name in ("evil<!channel><http://evil.example|x>", "hostile<@U0EVIL>"):
        answers.append(h.slash(name))
        h.wait_idle()
    answers.append(h.slash(f'username="b<!channel>@acme.com" consumer_key=3MVG9evil<!here> '
                           f'login_url=https://{HOSTILE_HOST} app="{SHORT}"'))
    h.wait_idle()
    answers.append(h.slash("nosuch<!here>"))  # the refusal lists the channel's connection names
    answers.append(h.slash(""))  # the form offers them in its picker
    answers.append(h.slash('explain {"error": "invalid_grant", "error_description": "' + MARKUP.replace('"', "") + '"}'))
    sessions = h.sessions()
    assert len(sessions) == 3, answers[2].text
    assert "evil" in answers[3].text and "hostile" in answers[3].text
    for sess in sessions:
        for action in (ActionId.RETEST, ActionId.FOR_CUSTOMER, ActionId.POST_CHECKLIST, ActionId.ESCALATE):
            h.click(action, sess["id"])
            h.wait_idle()
    open_home(h, USER)
    calls = h.stub.calls()
    methods = {c.method for c in calls}
    # The sinks this test reaches: it must not pass for lack of traffic.
    assert {"chat.postMessage", "chat.update", "webhook", "views.open", "views.publish",
            "files.completeUploadExternal"} <= methods
    comments = [c.args.get("initial_comment", "") for c in calls if c.method == "files.completeUploadExternal"]
    assert comments and any("evil.example" in c for c in comments), "the app name is shown, as text"
    shown = {c.method: [] for c in calls}
    for c in calls:
        shown[c.method].append(json.dumps(c.args, ensure_ascii=False))
    # The markup did travel (escaped): Salesforce's error text in the thread and the escalation, names everywhere.
    posts = "\n".join(shown["chat.postMessage"])
    assert "&lt;http://evil.example|Salesforce&gt;" in posts and "&lt;@U0EVIL&gt;" in posts
    assert "evil.example/sf" in posts, "Salesforce's own error text reached the thread"
    assert any("Escalation" in p and "evil.example" in p for p in shown["chat.postMessage"])
    assert any("Steps for your Salesforce admin" in p for p in shown["chat.postMessage"] + shown["webhook"]), \
        "the customer's checklist was posted too"
    for call in calls:
        text = shown_text(call.args)
        assert not leaks(text), (call.method, leaks(text), text[:800])
    for answer in answers:
        assert answer.status_code == 200 and not leaks(answer.text), answer.text[:800]

