"""The CLI starts like Python: ``--help`` and ``check`` load no Slack, APScheduler or sqlite-utils module.

Each case runs in a fresh interpreter (this test process has imported everything already)
and reports the modules loaded once the command has finished.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from checks.scenarios import by_name

from bot_harness import toml_for

HEAVY = ("slack_bolt", "slack_sdk", "apscheduler", "sqlite_utils")

# Runs the CLI in-process, then prints the loaded modules as JSON on the last line.
PROBE = """
import json, sys
from bot.terminal.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _modules_after(args: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env,
                         timeout=60, check=False)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["code"], result["modules"]


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY]


def test_check_loads_no_slack_scheduler_or_sqlite_utils(tmp_path, world, sim_server) -> None:
    conns = {n: by_name(n).build(world) for n in ("healthy", "not-preauthorized")}
    (tmp_path / "connections.toml").write_text(toml_for(conns))
    env = {**os.environ, "APRITY_CONNECTIONS": str(tmp_path / "connections.toml"),
           "APRITY_SALESFORCE_SIMULATOR": sim_server.url, "PYTHONPATH": str(Path(__file__).parents[2])}
    for name, expected in (("healthy", 0), ("not-preauthorized", 1)):
        code, modules = _modules_after(["check", "--connection", name, "--json"], env)
        assert code == expected  # the diagnosis really ran (and so did its imports)
        assert "checks.engine" in modules and "httpx" in modules
        assert _heavy(modules) == []


def test_help_loads_neither_the_engine_nor_httpx() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    code, modules = _modules_after(["--help"], env)
    assert code == 0
    assert not [m for m in modules if m.split(".")[0] in (*HEAVY, "httpx", "cryptography", "checks")]


def test_the_probe_would_see_slack() -> None:
    # The check above cannot pass vacuously: the same probe sees Slack once something imports it.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    out = subprocess.run([sys.executable, "-c", "import bot.slack.app\n" + PROBE, "--help"], capture_output=True,
                         text=True, env=env, timeout=60, check=False)
    modules = json.loads(out.stdout.strip().splitlines()[-1])["modules"]
    assert "slack_bolt" in modules and "sqlite_utils" in modules
