"""The access policy as a table, and the settings and connection fields it reads."""

from __future__ import annotations

import pytest

from bot.policy.access import (NOT_ENABLED_TEXT, Kind, Refusal, Request, Rules, Scope, decide, refusal_text,
                        startup_hint, usable_names)
from bot.runtime import SettingsError
from bot.settings import Settings
from checks.connections import ConfigError, load_all

STAFF, ACME, GLOBEX, ELSEWHERE, DM = "C0STAFF", "C0ACME", "G0GLOBEX", "C0RANDOM", "D0DIRECT"
RULES = Rules(frozenset({STAFF}), {"acme": (ACME,), "acme-uat": (ACME,), "globex": (GLOBEX,), "initech": ()})
U = "U0SOMEONE"

NAMED, ADHOC, EXPLAIN, FORM = Kind.NAMED, Kind.ADHOC, Kind.EXPLAIN, Kind.FORM
TABLE = [
    # channel,  kind,    name,       allowed, refusal
    (STAFF,     NAMED,   "acme",     True,  None),
    (STAFF,     NAMED,   "initech",  True,  None),   # bound nowhere: staff only
    (STAFF,     NAMED,   "nope",     False, Refusal.UNKNOWN_HERE),
    (STAFF,     ADHOC,   None,       True,  None),
    (STAFF,     EXPLAIN, None,       True,  None),
    (STAFF,     FORM,    None,       True,  None),
    (ACME,      NAMED,   "acme",     True,  None),
    (ACME,      NAMED,   "acme-uat", True,  None),
    (ACME,      NAMED,   "globex",   False, Refusal.UNKNOWN_HERE),  # exists, but not here: same answer
    (ACME,      NAMED,   "initech",  False, Refusal.UNKNOWN_HERE),
    (ACME,      NAMED,   "nope",     False, Refusal.UNKNOWN_HERE),
    (ACME,      ADHOC,   None,       False, Refusal.ADHOC_STAFF_ONLY),
    (ACME,      EXPLAIN, None,       True,  None),   # ephemeral, reads text only
    (ACME,      FORM,    None,       True,  None),
    (GLOBEX,    NAMED,   "globex",   True,  None),
    (GLOBEX,    NAMED,   "acme",     False, Refusal.UNKNOWN_HERE),
    (ELSEWHERE, NAMED,   "acme",     False, Refusal.NOT_ENABLED),
    (ELSEWHERE, ADHOC,   None,       False, Refusal.NOT_ENABLED),
    (ELSEWHERE, EXPLAIN, None,       False, Refusal.NOT_ENABLED),
    (ELSEWHERE, FORM,    None,       False, Refusal.NOT_ENABLED),
    (DM,        NAMED,   "acme",     False, Refusal.NOT_ENABLED),
    ("",        FORM,    None,       False, Refusal.NOT_ENABLED),
]


@pytest.mark.parametrize("channel,kind,name,allowed,refusal", TABLE)
def test_policy_table(channel, kind, name, allowed, refusal) -> None:
    d = decide(channel, U, Request(kind, name), RULES)
    assert (d.allowed, d.refusal) == (allowed, refusal)


def test_without_a_user_nothing_is_allowed() -> None:
    assert decide(STAFF, "", Request(Kind.ADHOC), RULES).refusal is Refusal.NO_USER


def test_names_usable_per_channel() -> None:
    assert usable_names(STAFF, RULES) == ("acme", "acme-uat", "globex", "initech")
    assert usable_names(ACME, RULES) == ("acme", "acme-uat")
    assert usable_names(ELSEWHERE, RULES) == ()
    assert decide(ACME, U, Request(Kind.FORM), RULES).adhoc_allowed is False
    assert decide(STAFF, U, Request(Kind.FORM), RULES).adhoc_allowed is True


def test_refusals_name_only_what_is_usable_here() -> None:
    req = Request(Kind.NAMED, "globex")
    text = refusal_text(decide(ACME, U, req, RULES), req, shown_name="'globex'")
    assert "unknown connection 'globex'" in text and "acme, acme-uat" in text and "initech" not in text
    outside = refusal_text(decide(ELSEWHERE, U, req, RULES), req)
    assert outside == NOT_ENABLED_TEXT and "ask" in outside.lower()
    assert not any(n in outside for n in ("acme", "globex", "initech"))
    adhoc = refusal_text(decide(ACME, U, Request(Kind.ADHOC), RULES), Request(Kind.ADHOC))
    assert "support channels only" in adhoc and "globex" not in adhoc


def test_nothing_configured_means_nowhere_and_a_hint() -> None:
    empty = Rules(frozenset(), {"acme": ()})
    assert not empty.enabled_anywhere
    assert decide(STAFF, U, Request(Kind.EXPLAIN), empty).scope is Scope.NONE
    hint = startup_hint(empty)
    assert hint and "APRITY_STAFF_CHANNELS" in hint and "channels = " in hint
    assert startup_hint(RULES) is None


BASE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "APRITY_SUPPORT_CHANNEL": "C0SUPPORT"}


def test_staff_channels_and_retention_settings() -> None:
    s = Settings.from_env({**BASE, "APRITY_STAFF_CHANNELS": " C0STAFF, G0PRIVATE ,"})
    assert s.staff_channels == frozenset({"C0STAFF", "G0PRIVATE"}) and s.retention_days == 90
    assert Settings.from_env(BASE).staff_channels == frozenset()
    assert Settings.from_env({**BASE, "APRITY_RETENTION_DAYS": "7"}).retention_days == 7
    for bad in ("#support", "D0DIRECT", "c0lower", "U0USER"):
        with pytest.raises(SettingsError, match="APRITY_STAFF_CHANNELS"):
            Settings.from_env({**BASE, "APRITY_STAFF_CHANNELS": bad})
    for bad in ("0", "-3", "ninety"):
        with pytest.raises(SettingsError, match="APRITY_RETENTION_DAYS"):
            Settings.from_env({**BASE, "APRITY_RETENTION_DAYS": bad})


ENTRY = 'username = "a@b.com"\nlogin_url = "https://login.salesforce.com"\nconsumer_key = "3MVG9x"\n'


def test_connections_file_accepts_and_checks_channels(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[connections.acme]\n{ENTRY}channels = ["C0ACME", "G0ACMEPRIV", "C0ACME"]\n'
                    f'[connections.plain]\n{ENTRY}')
    conns = load_all(path)
    assert conns["acme"].channels == ("C0ACME", "G0ACMEPRIV") and conns["plain"].channels == ()
    for bad in ('"C0ACME"', '["#acme"]', '["D0DM"]', "[1]"):
        path.write_text(f"[connections.acme]\n{ENTRY}channels = {bad}\n")
        with pytest.raises(ConfigError, match="channels"):
            load_all(path)
