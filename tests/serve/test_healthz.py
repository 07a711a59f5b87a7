"""``GET /healthz``: 200 and a small JSON when the database takes writes, the scheduler runs and Slack
answers; 503 naming what is down. Unsigned, and nothing of any session in it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from bot.serve.health import Health, SlackReachable
from bot.settings import ephemeral_db
from bot_harness import BotHarness, bot_env, toml_for
from checks.scenarios import by_name
from slack_stub import SlackStub

ALL_OK = {"status": "ok", "checks": {"database": "ok", "scheduler": "ok", "slack": "ok"}}


@pytest.fixture
def harness(world, sim_server, tmp_path) -> Iterator[BotHarness]:
    (tmp_path / "connections.toml").write_text(toml_for({"healthy": by_name("healthy").build(world)}))
    with SlackStub() as stub:
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
        yield h
        h.close()


def _health(h: BotHarness, method: str = "GET") -> httpx.Response:
    return httpx.request(method, h.url.replace("/slack/events", "/healthz"), timeout=10)


def test_healthy_bot_answers_200_unsigned_with_no_session_data(harness) -> None:
    harness.slash("healthy")
    harness.wait_idle()
    answer = _health(harness)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json() == ALL_OK
    for private in ("healthy", harness.only_session()["id"], "integration@", "C0SUPPORTQ"):
        assert private not in answer.text
    assert _health(harness, "HEAD").status_code == 200
    assert _health(harness, "POST").status_code == 405


def test_a_database_that_cannot_take_a_write_is_named(harness, tmp_path) -> None:
    holder = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the probe's wait
    try:
        answer = _health(harness)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.status_code == 503
    assert answer.json()["down"] == ["database"]
    assert answer.json()["checks"]["database"].startswith("database not writable")
    assert _health(harness).status_code == 200  # and it recovers with the lock


def test_a_stopped_scheduler_is_named(harness) -> None:
    harness.bot.scheduler.shutdown()
    answer = _health(harness)
    assert answer.status_code == 503 and answer.json()["down"] == ["scheduler"]


def test_slack_not_answering_is_named(harness) -> None:
    harness.stub.fail_next("auth.test", status=503, times=5)
    answer = _health(harness)
    assert answer.status_code == 503 and answer.json()["down"] == ["slack"]
    assert answer.json()["checks"]["slack"].startswith("Slack not reachable")


def test_slack_is_asked_at_most_once_per_recheck_interval() -> None:
    now, calls = [0.0], []
    probe = SlackReachable(lambda: calls.append(1), clock=lambda: now[0], recheck=30)
    assert probe() is None and probe() is None and len(calls) == 1
    now[0] = 31
    assert probe() is None and len(calls) == 2


def test_a_probe_that_breaks_counts_as_down_not_as_a_500() -> None:
    ok, body = Health({"database": lambda: None, "slack": lambda: 1 / 0}).report()
    assert not ok and body["down"] == ["slack"] and body["checks"]["slack"] == "check failed (ZeroDivisionError)"


@pytest.mark.parametrize(("value", "says"), [
    (None, "APRITY_DB is not set"),
    ("bot.db", "relative path"),
    ("/tmp/aprity/bot.db", "temporary folder"),
    ("/var/tmp/bot.db", "temporary folder"),
    ("/dev/shm/bot.db", "temporary folder"),
])
def test_an_ephemeral_database_place_is_said_in_one_line(value, says) -> None:
    env = {} if value is None else {"APRITY_DB": value}
    reason = ephemeral_db(env)
    assert reason is not None and says in reason and "\n" not in reason


def test_heroku_dyno_and_a_container_without_a_volume_are_ephemeral_a_disk_path_is_not(tmp_path) -> None:
    assert "Heroku" in (ephemeral_db({"APRITY_DB": "/app/data/bot.db", "DYNO": "worker.1"}) or "")
    assert ephemeral_db({"APRITY_DB": "/var/lib/aprity/bot.db"}, container=False) is None
    # In a container, a folder on the same filesystem as / is the container's own layer: no volume there.
    assert "not on a volume" in (ephemeral_db({"APRITY_DB": "/var/lib/aprity/bot.db"}, container=True) or "")


def test_a_health_port_that_is_no_port_is_a_start_up_error() -> None:
    from bot.runtime import SettingsError
    from bot.settings import Settings

    base = {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_APP_TOKEN": "xapp-x", "APRITY_SUPPORT_CHANNEL": "C0SUPPORT"}
    assert Settings.from_env({**base, "APRITY_HEALTH_PORT": "8081"}, mode="socket").health_port == 8081
    for bad in ("99999", "http", "0"):
        with pytest.raises(SettingsError, match="APRITY_HEALTH_PORT must be a TCP port"):
            Settings.from_env({**base, "APRITY_HEALTH_PORT": bad}, mode="socket")


def test_a_good_database_answer_is_trusted_for_a_few_seconds_and_a_bad_one_never() -> None:
    """/healthz is unsigned: however often it is asked, the test write runs once per window."""
    from bot.serve.health import GoodFor

    now, answers, calls = [0.0], ["disk full", None, None, None], []

    def probe() -> str | None:
        calls.append(now[0])
        return answers[len(calls) - 1]

    check = GoodFor(probe, 5.0, clock=lambda: now[0])
    assert check() == "disk full" and check() is None  # a failure is checked again at once
    now[0] = 4.0
    assert check() is None and len(calls) == 2  # trusted: no second write
    now[0] = 5.5
    assert check() is None and len(calls) == 3
