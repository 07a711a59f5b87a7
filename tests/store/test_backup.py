"""``aprity-diagnose backup PATH``: an online, consistent, owner-only copy while commands are being written."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from bot.store.backup import BackupError, backup
from bot_harness import BotHarness, bot_env, toml_for
from slack_stub import SlackStub

import pytest


def _open_copy(path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    return conn


def test_backups_taken_during_a_load_of_commands_are_whole(world, sim_server, tmp_path) -> None:
    conns = {f"load-{i}": world.connection(f"load-{i}", *world.org(f"backup-load-{i}")) for i in range(10)}
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    with SlackStub() as stub:
        h = BotHarness.start(bot_env(tmp_path, stub, sim_server.url, world.key_file), stub)
        try:
            done = threading.Event()
            copies: list = []
            errors: list[BaseException] = []

            def keep_backing_up() -> None:
                try:
                    while not done.is_set() or len(copies) < 3:
                        target = tmp_path / f"copy-{len(copies)}.db"
                        backup(str(tmp_path / "bot.db"), str(target))
                        copies.append(target)
                except BaseException as exc:  # noqa: BLE001 - the test thread reports it below
                    errors.append(exc)

            backer = threading.Thread(target=keep_backing_up)
            backer.start()
            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(lambda n: h.slash(n).status_code, [*conns, *conns, *conns]))
            h.wait_idle(60)
            done.set()
            backer.join(60)
            assert not backer.is_alive() and not errors, errors
            assert len(copies) >= 3, "backups taken while the commands ran"
            assert answers == [200] * 30
            final = tmp_path / "final.db"
            backup(str(tmp_path / "bot.db"), str(final))
            stored = len(h.sessions())
        finally:
            h.close()
    # one session per connection, or two where a command came after its connection's run had ended
    assert 10 <= stored <= 30
    for copy in [*copies, final]:
        assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
        conn = _open_copy(copy)
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        # A consistent moment: no run without its session, no step without its run.
        assert conn.execute("SELECT count(*) FROM runs WHERE session_id NOT IN (SELECT id FROM sessions)").fetchone()[0] == 0
        assert 0 <= sessions <= stored
        conn.close()
    conn = _open_copy(final)
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == stored
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] >= 10
    conn.close()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_backup_refuses_to_overwrite_without_force_and_names_a_missing_database(tmp_path) -> None:
    with pytest.raises(BackupError, match="no database at"):
        backup(str(tmp_path / "none.db"), str(tmp_path / "copy.db"))
    sqlite3.connect(tmp_path / "bot.db").execute("CREATE TABLE t (x)").connection.commit()
    (tmp_path / "copy.db").write_text("old")
    env = {k: v for k, v in os.environ.items() if not k.startswith("APRITY_")}
    env["APRITY_DB"] = str(tmp_path / "bot.db")
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot", "backup", *a], env=env, cwd=tmp_path,  # noqa: E731
                                    capture_output=True, text=True, timeout=60)
    refused = run(str(tmp_path / "copy.db"))
    assert refused.returncode == 2 and refused.stderr.strip().endswith("already exists; add --force to replace it")
    assert (tmp_path / "copy.db").read_text() == "old"
    forced = run(str(tmp_path / "copy.db"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert [r[0] for r in _open_copy(tmp_path / "copy.db").execute("SELECT name FROM sqlite_master")] == ["t"]
