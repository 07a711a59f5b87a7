"""Two processes on one SQLite file: when one closes, the other's write-ahead log stays. (Opening the
database file outside SQLite and closing it again dropped this process's locks, so the other process
believed it was alone, deleted the WAL and -shm, and this one's next connection failed: disk I/O error.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
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
