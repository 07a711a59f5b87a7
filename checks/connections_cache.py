"""The connections file, parsed once per change rather than once per command.

Acks must stay cheap: re-reading and re-parsing the TOML for every slash command
cost about a millisecond each, under a lock-free burst of fifty. The parsed file is
kept per path and reused while the file's identity and modification stamp
(inode, size, mtime and ctime in nanoseconds) are unchanged, so an edited or
replaced file is picked up by the next command. Errors are never cached: a broken
or missing file is read again, and reported again, until it is fixed.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from checks.connections import DEFAULT_FILE, Connection, load_all as _read_all, pick

_Stamp = tuple[int, int, int, int]
_cache: dict[Path, tuple[_Stamp, dict[str, Connection]]] = {}
_lock = threading.Lock()


def _file(path: str | os.PathLike[str] | None) -> Path:
    # The same resolution as connections.load_all, so both read one file.
    return Path(path or os.environ.get("APRITY_CONNECTIONS") or DEFAULT_FILE)


def _stamp(file: Path) -> _Stamp | None:
    try:
        st = file.stat()
    except OSError:
        return None  # let the real read produce the error message
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def load_all(path: str | os.PathLike[str] | None = None) -> dict[str, Connection]:
    """Like :func:`checks.connections.load_all`, from memory while the file is unchanged."""
    file = _file(path)
    stamp = _stamp(file)
    with _lock:
        hit = _cache.get(file)
    if stamp is not None and hit is not None and hit[0] == stamp:
        return dict(hit[1])
    connections = _read_all(file)  # raises ConfigError with the user's message
    if stamp is not None and _stamp(file) == stamp:  # not changed while it was read
        with _lock:
            _cache[file] = (stamp, connections)
    return dict(connections)


def load(name: str, path: str | os.PathLike[str] | None = None) -> Connection:
    """One entry by name; unknown names raise ConfigError as the uncached loader does."""
    return pick(name, load_all(path))


def clear() -> None:
    """Forget every parsed file (tests, or an operator's reload)."""
    with _lock:
        _cache.clear()
