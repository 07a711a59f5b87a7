"""manifest.yml validates against Slack's official schema and asks only for what the code uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT.parent / "shared" / "reference" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_official_schema() -> None:
    if not SCHEMA.exists():
        pytest.skip(f"Slack's manifest schema not found at {SCHEMA}")
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(manifest(), schema)
    broken = manifest()
    broken["display_information"]["name"] = "x" * 36  # the schema caps names at 35 characters
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_manifest_matches_the_code() -> None:
    m = manifest()
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/aprity-diagnose"]
    from bot.listeners.commands import COMMAND

    assert COMMAND == "/aprity-diagnose"
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", "chat:write", "chat:write.public", "files:write"}
    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    used = set(re.findall(r"client\.(\w+)\(", source)) | set(re.findall(r"self\.client\.(\w+)\(", source))
    # Every Web API method the bot calls is covered by those scopes (views.open needs none).
    assert used <= {"chat_postMessage", "chat_update", "chat_postEphemeral", "chat_getPermalink", "views_open",
                    "files_upload_v2", "close"}, used
    assert "files_upload_v2" in used  # files:write is asked for because the certificate upload uses it
    assert m["settings"]["interactivity"]["is_enabled"] is True
