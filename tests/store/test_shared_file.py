"""Two processes on one SQLite file: when one closes, the other's write-ahead log stays. (Opening the
database file outside SQLite and closing it again dropped this process's locks, so the other process
believed it was alone, deleted the WAL and -shm, and this one's next connection failed: disk I/O error.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from bot.store.db import Store
from bot.store.watch import WatchStore

ROOT = Path(__file__).resolve().parents[2]


def test_another_process_closing_the_file_leaves_our_log_in_place(tmp_path) -> None:
    path = tmp_path / "bot.db"
    store = Store(path)
    WatchStore(path).watches()  # a second store on the file, as the bot makes at start-up
    store.query("SELECT 1")
    other = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        from bot.store.db import Store
        s = Store({str(path)!r}); s.query("SELECT 1"); s.disconnect()
    """)
    subprocess.run([sys.executable, "-c", other], check=True, timeout=60)
    assert Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists(), "the other process deleted our WAL"
    fresh = Store(path)  # a new connection in this process works
    assert fresh.query("SELECT COUNT(*) AS n FROM sessions") == [{"n": 0}]


def test_processes_starting_together_on_a_new_file_all_get_the_whole_schema(tmp_path) -> None:
    """Each start migrates the schema in place; two at once used to race on the same ALTER TABLE and one
    died with "duplicate column name" (seen in 6 of 30 pairs). A start barrier lines the processes up."""
    boot = textwrap.dedent(f"""
        import os, sys, time; sys.path.insert(0, {str(ROOT)!r})
        from bot.store.db import Store
        go = float(sys.argv[2])
        while time.time() < go:
            time.sleep(0.001)
        Store(sys.argv[1]).query("SELECT owner, lease_until, run_starts, tied FROM sessions")
    """)
    failures = []
    for i in range(4):
        path, go = tmp_path / f"{i}.db", f"{time.time() + 1.0:.3f}"
        procs = [subprocess.Popen([sys.executable, "-c", boot, str(path), go], stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
        for p in procs:
            _, err = p.communicate(timeout=60)
            if p.returncode:
                failures.append(err.strip().splitlines()[-1])
    assert not failures, failures
