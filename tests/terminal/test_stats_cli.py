"""``aprity-diagnose stats`` reads the session log read-only; any other file is one line and exit 2."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from bot.terminal.cli import main
from bot.store.db import Store
from checks.model import ConnectionSummary

from store_helpers import not_session_logs


def _one_session(db) -> None:
    store = Store(db)
    store.create_session(channel="C1", requester="U1", connection=ConnectionSummary(
        "acme", "integration@acme.com", "https://login.salesforce.com", "3MVG9x", "production"))
    store.disconnect()


def test_stats_changes_nothing_on_disk(tmp_path, monkeypatch, capsys) -> None:
    db = tmp_path / "s.db"
    _one_session(db)
    before, files = hashlib.sha256(db.read_bytes()).hexdigest(), sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.setenv("APRITY_DB", str(db))
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sessions"] == 1
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # no -wal, no -shm left behind


def test_stats_reads_while_the_bot_writes(tmp_path, monkeypatch, capsys) -> None:
    db = tmp_path / "live.db"
    store = Store(db)  # WAL files exist and the session is not checkpointed yet
    store.create_session(channel="C1", requester="U1", connection=ConnectionSummary(
        "globex", "ops@globex.com", "https://login.salesforce.com", "3MVG9y", "production"))
    monkeypatch.setenv("APRITY_DB", str(db))
    assert main(["stats"]) == 0
    assert "sessions:            1" in capsys.readouterr().out
    store.disconnect()


def test_stats_on_files_that_are_not_the_session_log(tmp_path, monkeypatch, capsys) -> None:
    for path, words in not_session_logs(tmp_path):
        for args in (["stats"], ["stats", "--json"], ["stats", "--days", "7"]):
            before = sorted(p.name for p in tmp_path.iterdir())
            monkeypatch.setenv("APRITY_DB", str(path))
            assert main(args) == 2
            captured = capsys.readouterr()
            err = captured.err
            assert err.count("\n") == 1 and words in err and "Traceback" not in err, err
            assert captured.out == ""
            assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created
    with sqlite3.connect(tmp_path / "other.db") as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["t"]
