"""Keys and files: a key path that is not a regular file (a FIFO above all) is refused at once instead of
hanging a run; ``certificate -o`` never writes through a symbolic link, dangling or not."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from bot.terminal.cli import main
from checks.crypto import keys
from checks.scenarios import by_name

from bot_harness import toml_for


@pytest.fixture
def env(tmp_path, world, sim_server, monkeypatch) -> Path:
    path = tmp_path / "connections.toml"
    path.write_text(toml_for({"acme": by_name("cert-regenerated").build(world)}))
    monkeypatch.setenv("APRITY_CONNECTIONS", str(path))
    monkeypatch.setenv("APRITY_SALESFORCE_SIMULATOR", sim_server.url)
    return path


def _on_a_thread(fn, timeout: float = 10.0):
    """Run ``fn``; a hang fails the test instead of hanging the suite (an open() on a FIFO blocks in C)."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "reading the key hung"
    return box


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_a_key_path_that_is_not_a_regular_file_is_refused_without_hanging(tmp_path, kind) -> None:
    path = {"fifo": tmp_path / "key.pem", "directory": tmp_path, "device": Path("/dev/zero")}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    box = _on_a_thread(lambda: keys.read_private_key(path))
    error = box.get("error")
    assert isinstance(error, keys.KeyProblem), box
    assert "not a regular file" in str(error) and error.code == "unreadable"


def test_a_diagnosis_with_a_fifo_key_ends_with_a_verdict(env, tmp_path, capsys) -> None:
    fifo = tmp_path / "key.pem"
    os.mkfifo(fifo)
    box = _on_a_thread(lambda: main(["check", "--connection", "acme", "--private-key", str(fifo), "--json"]))
    assert box.get("value") == 1, box
    assert "not a regular file" in capsys.readouterr().out


def test_a_key_through_a_symlink_to_a_file_still_reads(world, tmp_path) -> None:
    link = tmp_path / "key-link.pem"
    link.symlink_to(world.key_file)
    assert keys.read_private_key(link) is not None


@pytest.mark.parametrize("target", ["dangling", "existing"])
def test_certificate_output_refuses_a_symlink(env, tmp_path, capsys, target) -> None:
    victim = tmp_path / "victim.txt"
    if target == "existing":
        victim.write_text("keep me")
    link = tmp_path / "out.crt"
    link.symlink_to(victim)
    assert main(["certificate", "--connection", "acme", "-o", str(link), "--force"]) == 2
    err = capsys.readouterr().err.strip()
    assert "symbolic link" in err and "\n" not in err
    assert (victim.read_text() == "keep me") if target == "existing" else not victim.exists()


def test_certificate_output_still_refuses_to_overwrite_without_force(env, tmp_path, capsys) -> None:
    out = tmp_path / "acme.crt"
    out.write_text("old")
    assert main(["certificate", "--connection", "acme", "-o", str(out)]) == 2
    assert out.read_text() == "old"
    assert main(["certificate", "--connection", "acme", "-o", str(out), "--force"]) == 0
    assert "BEGIN CERTIFICATE" in out.read_text()
