"""The "For the customer" button: the admin's checklist privately, then in the channel with the certificate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.ids import ActionId
from checks.crypto import keys
from checks.scenarios import by_name

from bot_harness import CHANNEL, USER, BotHarness, all_text, bot_env, toml_for
from secret_checks import assert_clean, issued_tokens, key_fragments
from slack_stub import SlackStub

ACME = "C0ACMESHARED"  # the customer's shared channel, bound to the "cert-mismatch" connection
NAMED = ("cert-regenerated", "key-typo", "healthy", "not-preauthorized")


@pytest.fixture
def harness(tmp_path, world, sim_server) -> Iterator[BotHarness]:
    with SlackStub() as stub:
        conns = {name: by_name(name).build(world) for name in NAMED}
        conns["acme"] = replace(by_name("cert-mismatch").build(world), channels=(ACME,))
        (tmp_path / "connections.toml").write_text(toml_for(conns))
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
        yield h
        h.close()


def run(h: BotHarness, name: str, channel: str = CHANNEL) -> dict:
    assert h.slash(name, channel=channel).status_code == 200
    h.wait_idle()
    return h.bot.store.session(next(s for s in h.sessions() if s["connection_name"] == name)["id"])


def labels(message: dict) -> list[str]:
    return [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def ephemerals(h: BotHarness, user: str = USER) -> list[dict]:
    return [c.args for c in h.stub.accepted("chat.postEphemeral") if c.args["user"] == user]


def shown_text(message: dict) -> str:
    """What a reader sees: the section texts (button values are not shown)."""
    blocks = json.loads(message["blocks"]) if isinstance(message["blocks"], str) else message["blocks"]
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


def button_value(message: dict, action: str) -> str:
    blocks = json.loads(message["blocks"]) if isinstance(message["blocks"], str) else message["blocks"]
    return next(e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == action)


def test_checklist_privately_then_posted_in_the_shared_channel_with_the_certificate(harness, world) -> None:
    sess = run(harness, "acme", ACME)
    assert "For the customer" in labels(harness.parent(sess))
    harness.click(ActionId.FOR_CUSTOMER, sess["id"], channel=ACME, user="U0SUPPORT")
    harness.stub.wait_for("chat.postEphemeral")  # the listener goes on after its ack
    shown = ephemerals(harness, "U0SUPPORT")
    assert len(shown) == 1 and shown[0]["channel"] == ACME
    assert "Only you see this" in all_text(shown[0])
    text = shown_text(shown[0])
    assert "steps for your Salesforce admin" in text
    assert "Salesforce can take up to 10 minutes to apply the change" in text
    for internal in ("acme", sess["id"], "U0SUPPORT", "SHA-256", "I fixed it", "probe"):
        assert internal not in text, internal
    before = len(harness.stub.channel_messages(ACME))
    assert button_value(shown[0], ActionId.POST_CHECKLIST) == sess["id"]

    harness.click(ActionId.POST_CHECKLIST, sess["id"], channel=ACME, user="U0SUPPORT")
    assert "Posted in the channel." in all_text(harness.stub.wait_for("webhook")[-1].args)
    posted = [m for m in harness.stub.channel_messages(ACME)[before:] if "steps for your Salesforce admin" in
              all_text(m)]
    assert len(posted) == 1 and "aprity.crt, attached to this message" in all_text(posted[0])
    uploads = [u for u in harness.stub.uploads() if u["channel"] == ACME and u["filename"] == "aprity.crt"]
    assert len(uploads) == 1 and uploads[0]["thread_ts"] == posted[0]["ts"]
    cert = keys.parse_certificate(uploads[0]["content"])
    assert keys.public_key_matches(world.good_key, cert) and b"PRIVATE" not in uploads[0]["content"]
    # Neither the key nor any token the simulator issued reached Slack on the way.
    blob = json.dumps([c.args for c in harness.stub.calls()], default=repr)
    assert_clean(blob, key_fragments(world.key_file) + issued_tokens(world))


def test_every_failing_verdict_has_the_button_a_working_one_not(harness) -> None:
    assert "For the customer" in labels(harness.parent(run(harness, "not-preauthorized")))
    assert "For the customer" not in labels(harness.parent(run(harness, "healthy")))


def test_an_aprity_side_cause_says_so_and_gives_no_checklist(harness) -> None:
    sess = run(harness, "key-typo")
    assert "fixed on aprity's side" in all_text(harness.parent(sess))
    harness.click(ActionId.FOR_CUSTOMER, sess["id"])
    harness.stub.wait_for("chat.postEphemeral")
    shown = ephemerals(harness)
    assert len(shown) == 1
    text = all_text(shown[0])
    assert "fixed on aprity's side" in text and "steps for your Salesforce admin" not in text
    assert not [b for b in shown[0]["blocks"] if "actions" in json.dumps(b)], "nothing to post"


def test_deny_by_default_a_click_elsewhere_shows_and_posts_nothing(harness) -> None:
    sess = run(harness, "acme", ACME)
    for action in (ActionId.FOR_CUSTOMER, ActionId.POST_CHECKLIST):
        assert harness.click(action, sess["id"], channel=CHANNEL).status_code == 200
    harness.stub.wait_for("webhook", 2)  # the refusals: said after the ack
    assert ephemerals(harness) == []
    assert not [m for m in harness.stub.channel_messages(CHANNEL) if "steps for your Salesforce admin" in all_text(m)]
    refusals = [c.args for c in harness.stub.accepted("webhook") if "another channel" in all_text(c.args)]
    assert len(refusals) == 2


def test_after_a_restart_the_certificate_is_made_again_from_the_key(harness, world) -> None:
    sess = run(harness, "cert-regenerated")
    harness.bot.service._latest.clear()  # as after a restart: the stored run has no PEM
    harness.click(ActionId.POST_CHECKLIST, sess["id"])
    harness.stub.wait_for("webhook")  # "Posted in the channel.", once the certificate is up
    uploads = [u for u in harness.stub.uploads() if u["filename"] == "aprity.crt"]
    assert len(uploads) == 1 and keys.public_key_matches(world.good_key, keys.parse_certificate(uploads[0]["content"]))
