"""Certificate-expiry warnings: one at each of 30, 7 and 1 days, never twice, with a new certificate
attached (made from the same key) through files_upload_v2 on the Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.slack.app import make_web_client
from bot.watch.expiry import DAY, ExpiryWatch, due_threshold
from bot.store.watch import WatchStore
from checks.crypto import keys
from checks.scenarios import World
from checks.simulator import Simulator

from bot_harness import all_text, toml_for
from sim_helpers import Clock
from slack_stub import SlackStub

ALERTS = "C0ALERTSQ"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[dict]:
    world = World(Simulator(), tmp_path / "world")
    o, a, u = world.org("acme")
    conn = world.connection("acme", o, a, u)
    conns = {
        "acme": conn,
        "wrong-cert": replace(conn, name="wrong-cert", certificate_file=world.other_cert_file),
        "no-cert": replace(conn, name="no-cert", certificate_file=None),
    }
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    not_after = keys.read_certificate(world.cert_file).not_valid_after_utc.timestamp()
    with SlackStub() as stub:
        clock = Clock(not_after - 40 * DAY)
        client = make_web_client("xoxb-test", stub.url)
        ew = ExpiryWatch(client, WatchStore(tmp_path / "bot.db"), alert_channel=ALERTS,
                         connections_file=str(tmp_path / "connections.toml"), private_key_file=None, clock=clock)
        yield {"ew": ew, "clock": clock, "stub": stub, "not_after": not_after, "world": world}


def test_one_warning_at_each_threshold(setup) -> None:
    s = setup
    ew, clock, stub = s["ew"], s["clock"], s["stub"]
    fingerprint = keys.fingerprint_sha256(keys.read_certificate(s["world"].cert_file))
    assert ew.sweep() == []
    for days_left, threshold in ((29.5, 30), (6.5, 7), (0.5, 1)):
        clock.now = s["not_after"] - days_left * DAY
        assert ew.sweep() == [("acme", threshold)]
        assert ew.sweep() == [], f"the {threshold}-day warning went out twice"
        clock.now += 0.1 * DAY
        assert ew.sweep() == []
    posts = [m for m in stub.channel_messages(ALERTS) if not m.get("files")]
    assert len(posts) == 3
    text = all_text(posts[0])
    assert "acme" in text and fingerprint in text and "upload a new certificate" in text
    assert keys.read_certificate(s["world"].cert_file).not_valid_after_utc.strftime("%Y-%m-%d") in text
    assert "wrong-cert" not in all_text(posts) and "no-cert" not in all_text(posts)
    # The attachment: a certificate of the connection's own key, in the warning's thread, no private key.
    files = stub.files()
    assert len(files) == 3 and all(f["channel"] == ALERTS for f in files)
    assert files[0]["thread_ts"] == posts[0]["ts"]
    cert = keys.parse_certificate(files[0]["content"])
    assert keys.public_key_matches(s["world"].good_key, cert)
    assert b"PRIVATE" not in files[0]["content"]


def test_first_seen_close_to_expiry_warns_once_for_the_most_urgent_threshold(setup) -> None:
    s = setup
    s["clock"].now = s["not_after"] - 5 * DAY
    assert s["ew"].sweep() == [("acme", 7)]
    s["clock"].now = s["not_after"] - 20 * DAY  # never goes back to the 30-day warning
    assert s["ew"].sweep() == []
    s["clock"].now = s["not_after"] - 0.2 * DAY
    assert s["ew"].sweep() == [("acme", 1)]


def test_failed_post_is_tried_again_at_the_next_sweep(setup) -> None:
    s = setup
    s["clock"].now = s["not_after"] - 20 * DAY
    s["stub"].fail_next("chat.postMessage", "channel_not_found")
    assert s["ew"].sweep() == []
    assert s["ew"].sweep() == [("acme", 30)]


@pytest.mark.parametrize("days_left, already, expected", [
    (40, set(), (None, set())),
    (30, set(), (30, {30})),
    (10, {30}, (None, set())),
    (7, {30}, (7, {7})),
    (3, set(), (7, {30, 7})),
    (-2, {30, 7}, (1, {1})),
    (-2, {30, 7, 1}, (None, set())),
])
def test_due_threshold(days_left, already, expected) -> None:
    assert due_threshold(days_left, already) == expected


def test_attached_certificate_is_the_engines_deterministic_one(setup) -> None:
    """Same key, same UTC day: the same certificate bytes (so the same fingerprint) as a diagnosis attaches."""
    from datetime import datetime, timezone

    s = setup
    ew = s["ew"]
    s["clock"].now = s["not_after"] - 29 * DAY
    assert ew.sweep() == [("acme", 30)]
    (attached,) = s["stub"].files()
    day = datetime.fromtimestamp(s["clock"].now, timezone.utc)
    expected = keys.certificate_for_key(s["world"].good_key, day)
    assert attached["content"] == expected
    assert attached["content"] == keys.certificate_for_key(s["world"].good_key, day.replace(hour=23, minute=59))
    fingerprint = keys.fingerprint_sha256(keys.parse_certificate(expected))
    (reply,) = [m for m in s["stub"].thread(ALERTS, attached["thread_ts"]) if m.get("files")]
    assert fingerprint in reply["text"]
