"""What keeps acks cheap stays in place: WAL commits without an fsync each, on every thread's connection."""

from __future__ import annotations

import threading

from bot.store.db import Store


def test_every_store_connection_is_wal_with_normal_sync(tmp_path) -> None:
    store = Store(tmp_path / "bot.db")
    seen: list[tuple[str, int]] = []

    def probe() -> None:
        conn = store._db().conn
        seen.append((conn.execute("PRAGMA journal_mode").fetchone()[0],
                     conn.execute("PRAGMA synchronous").fetchone()[0]))

    probe()
    worker = threading.Thread(target=probe)  # connections are per thread: each sets its own
    worker.start()
    worker.join()
    assert seen == [("wal", 1), ("wal", 1)]  # 1 = NORMAL (2 = FULL, the default, fsyncs every commit)
