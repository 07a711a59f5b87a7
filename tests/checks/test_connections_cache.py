"""The connections file is parsed once per change, and a change or a breakage is seen at once."""

from __future__ import annotations

import os

import pytest

from checks import connections_cache
from checks.connections import ConfigError

ENTRY = """[connections.{name}]
username = "{user}"
login_url = "https://login.salesforce.com"
consumer_key = "3MVG9example"
"""


@pytest.fixture
def conn_file(tmp_path):
    connections_cache.clear()
    path = tmp_path / "connections.toml"
    path.write_text(ENTRY.format(name="prod", user="a@example.com"))
    yield path
    connections_cache.clear()


def _bump(path) -> None:
    # Same second, same size: only the nanosecond stamp tells the versions apart.
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))


def test_unchanged_file_is_not_read_again(conn_file, monkeypatch) -> None:
    assert connections_cache.load("prod", conn_file).username == "a@example.com"
    reads = []
    real = connections_cache._read_all
    monkeypatch.setattr(connections_cache, "_read_all", lambda p: reads.append(p) or real(p))
    for _ in range(3):
        assert connections_cache.load("prod", conn_file).username == "a@example.com"
    assert reads == []
    _bump(conn_file)
    connections_cache.load("prod", conn_file)
    assert len(reads) == 1


def test_an_edit_is_picked_up_by_the_next_command(conn_file) -> None:
    assert connections_cache.load("prod", conn_file).username == "a@example.com"
    conn_file.write_text(ENTRY.format(name="prod", user="b@example.com"))  # same size as before
    _bump(conn_file)
    assert connections_cache.load("prod", conn_file).username == "b@example.com"


def test_a_replaced_file_is_picked_up(conn_file, tmp_path) -> None:
    connections_cache.load("prod", conn_file)
    other = tmp_path / "new.toml"
    other.write_text(ENTRY.format(name="sandbox", user="c@example.com"))
    os.replace(other, conn_file)  # how editors and deploys write: a new inode
    assert sorted(connections_cache.load_all(conn_file)) == ["sandbox"]
    with pytest.raises(ConfigError, match="unknown connection 'prod'.*sandbox"):
        connections_cache.load("prod", conn_file)


def test_errors_are_not_cached(conn_file) -> None:
    connections_cache.load("prod", conn_file)
    conn_file.write_text("this is = not [toml")
    for _ in range(2):
        with pytest.raises(ConfigError, match="not valid TOML"):
            connections_cache.load("prod", conn_file)
    conn_file.unlink()
    with pytest.raises(ConfigError, match="not found"):
        connections_cache.load("prod", conn_file)
    conn_file.write_text(ENTRY.format(name="prod", user="d@example.com"))
    assert connections_cache.load("prod", conn_file).username == "d@example.com"


def test_callers_cannot_change_the_cached_table(conn_file) -> None:
    table = connections_cache.load_all(conn_file)
    table.pop("prod")
    assert "prod" in connections_cache.load_all(conn_file)
