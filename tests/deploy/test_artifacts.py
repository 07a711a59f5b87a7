"""What a platform reads from the repository: pinned requirements (the versions CI tests), the Python
version, the Dockerfile and compose example, and .env.example (every setting the code reads, and only those)."""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement

from bot.runtime import SettingsError
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_PROVIDED = {"DYNO"}  # set by Heroku itself, read only to say its disk is ephemeral


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_requirements_pin_what_ci_tests_and_cover_every_runtime_dependency() -> None:
    pins = _pins()
    for name, version in pins.items():
        assert metadata.version(name) == version, f"{name}: CI has {metadata.version(name)}, pinned {version}"
    declared = metadata.requires("aprity-diagnose") or []
    runtime = [Requirement(r) for r in declared if "extra ==" not in r]
    for req in runtime:
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is a dependency but not pinned"
        assert req.specifier.contains(pins[name]), f"{name}=={pins[name]} outside {req.specifier}"


def test_one_python_version_everywhere() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    assert (ROOT / "runtime.txt").read_text().strip() == f"python-{version}"
    assert f"ARG PYTHON_VERSION={version}\n" in (ROOT / "Dockerfile").read_text()
    assert version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")  # what CI runs


def test_dockerfile_installs_with_the_tested_script_as_non_root_with_a_volume_and_a_healthcheck() -> None:
    lines = [l.strip() for l in (ROOT / "Dockerfile").read_text().splitlines() if l.strip() and not l.startswith("#")]
    text = "\n".join(lines)
    assert re.search(r"^FROM python:\$\{PYTHON_VERSION\}-slim", text, re.M)
    assert "sh /src/scripts/install-wheel.sh /src /opt/aprity" in text
    user = next(l.split()[1] for l in lines if l.startswith("USER "))
    assert user not in ("root", "0")
    volume = re.search(r'^VOLUME \["(/[^"]+)"\]', text, re.M).group(1)
    assert f"APRITY_DB={volume}/" in text
    health = next(l for l in lines if l.startswith("HEALTHCHECK"))
    assert "/healthz" in text[text.index(health):]


def test_compose_example_uses_a_named_volume_and_an_env_file() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    service = compose["services"]["aprity"]
    assert service["env_file"] == ".env"
    named = {v.split(":")[0]: v.split(":")[1] for v in service["volumes"]}
    assert "aprity-data" in compose["volumes"] and named["aprity-data"] == "/data"
    assert service["command"] == ["aprity-diagnose", "socket"]  # the tested Socket Mode command, installed


def test_the_image_runs_what_the_tests_run() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["aprity-diagnose", "socket"]' in text
    # Socket Mode's health port and HTTP mode's port are one, so one HEALTHCHECK fits both processes.
    assert re.search(r"PORT=8080\b", text) and "APRITY_HEALTH_PORT=8080" in text


class Recorder(dict):
    """An empty environment that remembers every name asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):  # noqa: ANN001
        self.asked.add(key)
        return default

    def __getitem__(self, key):  # noqa: ANN001
        self.asked.add(key)
        raise KeyError(key)

    def __contains__(self, key) -> bool:  # noqa: ANN001
        self.asked.add(key)
        return False


def _read_by_the_code() -> set[str]:
    names: set[str] = set()
    for mode in ("socket", "http"):
        env = Recorder()
        try:
            Settings.from_env(env, mode=mode)
        except SettingsError:
            pass  # empty: every required setting is missing, and every one was asked for first
        names |= env.asked
    # And what the processes read from os.environ directly (log level, ports, the database for the CLI).
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "checks").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                owner = ast.unparse(node.func.value)
                if (owner, node.func.attr) in (("os.environ", "get"), ("os", "getenv")) and \
                        isinstance(node.args[0], ast.Constant):
                    names.add(node.args[0].value)
            if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" and \
                    isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
    return names - PLATFORM_PROVIDED


def test_env_example_lists_every_setting_the_code_reads_each_with_a_comment() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    listed = {}
    for i, line in enumerate(lines):
        m = re.match(r"^(?:# )?([A-Z][A-Z0-9_]+)=", line)
        if m:
            listed[m.group(1)] = lines[i - 1]
    read = _read_by_the_code()
    assert {"SLACK_BOT_TOKEN", "APRITY_PRIVATE_KEY", "APRITY_HEALTH_PORT", "APRITY_LOG_LEVEL"} <= read
    assert set(listed) == read, (sorted(read - set(listed)), sorted(set(listed) - read))
    for name, comment in listed.items():
        assert comment.startswith("# ") and not re.match(r"^# [A-Z][A-Z0-9_]+=", comment), f"{name} has no comment"


def test_the_procfile_names_both_processes() -> None:
    procs = dict(l.split(":", 1) for l in (ROOT / "Procfile").read_text().splitlines() if l.strip())
    assert set(procs) == {"web", "worker"}
    assert "--workers 1" in procs["web"] and "bot.serve.gunicorn_conf" in procs["web"]
    assert procs["worker"].split() == ["python", "-m", "bot", "socket"]
