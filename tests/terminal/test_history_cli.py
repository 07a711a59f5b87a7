"""``aprity-diagnose history`` reads the session log read-only and refuses other files in one line."""

from __future__ import annotations

import hashlib
import sqlite3

from bot.terminal.cli import main
from bot.store.db import Store
from checks.model import ConnectionSummary

from store_helpers import not_session_logs


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_session(db) -> None:
    store = Store(db)
    store.create_session(channel="C1", requester="U1", connection=ConnectionSummary(
        "acme", "integration@acme.com", "https://login.salesforce.com", "3MVG9x", "production"))
    store.disconnect()


def test_history_changes_nothing_on_disk(tmp_path, monkeypatch, capsys) -> None:
    db = tmp_path / "h.db"
    _one_session(db)
    before, files = _digest(db), sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.setenv("APRITY_DB", str(db))
    assert main(["history"]) == 0
    assert "integration@acme.com" in capsys.readouterr().out
    assert _digest(db) == before and sorted(p.name for p in tmp_path.iterdir()) == files  # no -wal, no -shm


def test_history_reads_while_the_bot_writes(tmp_path, monkeypatch, capsys) -> None:
    db = tmp_path / "live.db"
    store = Store(db)  # the running bot: WAL files exist and a session is not checkpointed yet
    store.create_session(channel="C1", requester="U1", connection=ConnectionSummary(
        "globex", "ops@globex.com", "https://login.salesforce.com", "3MVG9y", "production"))
    monkeypatch.setenv("APRITY_DB", str(db))
    assert main(["history", "--json"]) == 0
    assert "ops@globex.com" in capsys.readouterr().out


def test_history_on_files_that_are_not_the_session_log(tmp_path, monkeypatch, capsys) -> None:
    for path, words in not_session_logs(tmp_path):
        before = sorted(p.name for p in tmp_path.iterdir())
        monkeypatch.setenv("APRITY_DB", str(path))
        assert main(["history"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err and "Traceback" not in err, err
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created
    assert (tmp_path / "notes.txt").read_text().startswith("just some notes")
    with sqlite3.connect(tmp_path / "other.db") as conn:  # no bot schema added to someone else's database
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["t"]
