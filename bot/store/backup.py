"""The database file as a whole: an online backup while the bot runs, and the health check's write probe.

The backup uses SQLite's backup API over one read transaction, so the copy is one consistent
moment of the database even while commands are being written (WAL readers never block the
writer, nor it them). The copy is created owner-only (it names customers' users and Org IDs),
written under a temporary name beside the target and renamed into place, so a crash leaves
either the old file or the new one, never half a copy.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

PROBE_TIMEOUT = 1.0  # seconds the health probe waits for the write lock; a busy second is not "down"


class BackupError(Exception):
    """The backup could not be made; the message is one line."""


def _open_existing(path: str, timeout: float) -> sqlite3.Connection:
    """A read-write connection to a database that must already exist (never creates an empty one)."""
    return sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=rw", uri=True, timeout=timeout,
                           isolation_level=None)


def backup(source: str, target: str, *, force: bool = False) -> int:
    """Copy the database at ``source`` to ``target`` (mode 0600); returns the copy's size in bytes."""
    if not Path(source).is_file():
        raise BackupError(f"no database at {source} (set APRITY_DB)")
    out = Path(target)
    if out.exists() and not force:
        raise BackupError(f"{out} already exists; add --force to replace it")
    if out.is_dir():
        raise BackupError(f"{out} is a folder; give a file name")
    if os.path.abspath(out) == os.path.abspath(source):
        raise BackupError("the backup must go to another file than the database itself")
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        os.chmod(partial, 0o600)  # whatever the umask
        src = _open_existing(source, timeout=30)
        try:
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # "file is not a database" here
            dst = sqlite3.connect(partial, isolation_level=None)
            try:
                src.backup(dst)  # every page in one step: one read transaction, one consistent moment
                # A self-contained file: no -wal beside it is needed to read or restore the copy.
                dst.execute("PRAGMA journal_mode=DELETE")
                problem = dst.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                dst.close()
        finally:
            src.close()
        if problem != "ok":
            raise BackupError(f"the copy failed its integrity check ({problem})")
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, out)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    except OSError as exc:
        raise BackupError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        if partial.exists():
            partial.unlink()
    return out.stat().st_size


def write_problem(path: str, *, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why the database cannot take a write right now, in a few words, or None when it can.

    A committed one-row write (the time of the last probe), so a read-only or full disk, a lost
    file and a lock held too long all show; the session tables are not touched."""
    try:
        conn = _open_existing(path, timeout)
    except sqlite3.Error:
        return "database file missing or unreadable"
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL)")
        conn.execute("INSERT INTO health_probe (id, at) VALUES (1, julianday('now')) "
                     "ON CONFLICT (id) DO UPDATE SET at = excluded.at")
        conn.execute("COMMIT")
        return None
    except sqlite3.Error as exc:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # closing the connection rolls back anyway
        return f"database not writable ({str(exc).split(':')[0][:60]})"
    finally:
        conn.close()
