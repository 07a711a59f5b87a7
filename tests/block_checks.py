"""Block Kit test kit: checkers and hostile sample data for the block builder tests.

The checkers flag Slack limit breaches, unsafe text (broadcasts, stray angle brackets, bare
ampersands) and what slack_sdk's models reject; the samples fill every field with hostile text.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import ParentView, parent_message
from checks.model import (STEP_ORDER, Candidate, CauseId, Confidence, ConnectionSummary, Diagnosis, OrgInfo, Status,
                          StepId, StepResult, TokenError)

NOW = datetime(2024, 5, 1, 14, 5, tzinfo=timezone.utc)
REQ, ESC = "U0REQ", "W0ESC"
THREAD = "https://example.slack.com/archives/C1/p1700000000000100"
EVIL = "<!channel> <!here> <@U123> <https://evil.example|Salesforce> @here @Channel @everyone &lt; `x`"
# Built from parts so no committed file carries a PEM private-key header.
PEM = "-----BEGIN " + "PRIVATE" + " KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END " + "PRIVATE" + " KEY-----"
ALLOWED_ANGLE = re.compile(r"^<(@(U0REQ|W0ESC)|https://example\.slack\.com/archives/[^|<>]+\|[^<>|]+)>$")


# ---- checkers -------------------------------------------------------------------------
def texts(obj, path="$"):
    """(path, kind, text) for every text object in a message or view; the fallback counts as mrkdwn."""
    if isinstance(obj, dict):
        if obj.get("type") in ("mrkdwn", "plain_text") and isinstance(obj.get("text"), str):
            yield path, obj["type"], obj["text"]
        for k, v in obj.items():
            if k == "text" and isinstance(v, str) and path == "$":
                yield "$.text", "mrkdwn", v
            elif isinstance(v, (dict, list)):
                yield from texts(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from texts(v, f"{path}[{i}]")


def unsafe_spots(msg) -> list[str]:
    bad = []
    for path, kind, t in texts(msg):
        if re.search(r"@(channel|here|everyone)\b", t, re.IGNORECASE):
            bad.append(f"{path}: bare broadcast word")
        if kind == "plain_text":
            if "<" in t or ">" in t:
                bad.append(f"{path}: angle bracket in plain_text")
            continue
        bad += [f"{path}: {m}" for m in re.findall(r"<[^>]*>?", t) if not ALLOWED_ANGLE.match(m)]
        bad += [f"{path}: bare &" for _ in re.finditer(r"&(?!(amp|lt|gt);)", t)]
    return bad


def limit_problems(msg, *, max_blocks=50) -> list[str]:
    p = []
    text = msg.get("text")
    if "type" not in msg:
        if not (isinstance(text, str) and 1 <= len(text.strip()) and len(text) <= 3000):
            p.append("fallback text missing or too long")
    blocks = msg["blocks"]
    if not 1 <= len(blocks) <= max_blocks:
        p.append(f"{len(blocks)} blocks")
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(ids) != len(set(ids)) or any(len(i) > 255 for i in ids):
        p.append("block ids duplicated or too long")
    total = 0
    for i, b in enumerate(blocks):
        t = (b.get("text") or {}).get("text", "")
        total += len(t)
        if b["type"] == "section" and "text" in b and not 1 <= len(t) <= 3000:
            p.append(f"block {i}: section text {len(t)}")
        if b["type"] == "header" and not 1 <= len(t) <= 150:
            p.append(f"block {i}: header {len(t)}")
        for f in b.get("fields", []):
            total += len(f["text"])
            if len(f["text"]) > 2000:
                p.append(f"block {i}: field {len(f['text'])}")
        if len(b.get("fields", [])) > 10:
            p.append(f"block {i}: too many fields")
        if b["type"] == "context":
            total += sum(len(e.get("text", "")) for e in b["elements"])
            if not 1 <= len(b["elements"]) <= 10:
                p.append(f"block {i}: context elements {len(b['elements'])}")
        for e in b.get("elements", []) if b["type"] == "actions" else []:
            if len(e["text"]["text"]) > 75 or not 1 <= len(e["value"]) <= 2000 or len(e["action_id"]) > 255:
                p.append(f"block {i}: button")
        el = b.get("element") or {}
        opts = el.get("options", []) + [o for g in el.get("option_groups", []) for o in g["options"]]
        if len(el.get("options", [])) > 100 or len(el.get("option_groups", [])) > 100:
            p.append(f"block {i}: too many options")
        p += [f"block {i}: option" for o in opts if len(o["text"]["text"]) > 75 or len(o["value"]) > 150]
    if "type" not in msg and total > 8_000:  # msg_blocks_too_long starts around 11-13k
        p.append(f"total block text {total}")
    return p


def sdk_check(msg) -> None:
    """Round-trip through slack_sdk models, which run their own validators in to_dict()."""
    if msg.get("type") == "modal":
        View(**msg).to_dict()
        return
    for b in msg["blocks"]:
        parsed = Block.parse(b)
        assert parsed is not None, b
        parsed.to_dict()


def assert_good(msg, **kw) -> None:
    assert limit_problems(msg, **kw) == []
    assert unsafe_spots(msg) == []
    sdk_check(msg)


def flat(msg) -> str:
    return "\n".join(t for _, _, t in texts(msg))


# ---- fixtures ---------------------------------------------------------------------------
def conn(name=f"acme {EVIL}", **kw) -> ConnectionSummary:
    base = dict(name=name, username=f"int@acme.com {EVIL}", login_url=f"https://login.salesforce.com/{EVIL}",
                consumer_key=f"3MVG9key{EVIL}", environment="production", connected_app=f"App {EVIL}")
    return ConnectionSummary(**{**base, **kw})


def failing(finding=f"consumer key not found {EVIL}", n_fail=1, **kw) -> Diagnosis:
    steps = [StepResult(StepId.CLOCK, Status.SKIP, f"not reached {EVIL}"),
             StepResult(StepId.PRIVATE_KEY, Status.PASS, f"key loads {EVIL}", detail=(f"fp {EVIL}",))]
    for sid in list(STEP_ORDER)[2:2 + n_fail]:
        steps.append(StepResult(sid, Status.FAIL, finding, verify=(f"look at {EVIL}",),
                                fix=(f"copy key {EVIL}", "save"), detail=(f"detail {EVIL}",)))
    steps.insert(0, StepResult(StepId.TOKEN_EXCHANGE, Status.WARN, f"slow {EVIL}"))
    base = dict(ok=False, connection=conn(), steps=steps,
                candidates=[Candidate(CauseId.CONSUMER_KEY_MISMATCH, Confidence.HIGH, f"why {EVIL}"),
                            Candidate(CauseId.USERNAME_OR_LOGIN_URL, Confidence.LOW)],
                error=TokenError(400, f"invalid_client_id{EVIL}", f"client identifier invalid {EVIL}"),
                evidence=[f"probe: {EVIL}"])
    return Diagnosis(**{**base, **kw})


def working() -> Diagnosis:
    return Diagnosis(ok=True, connection=conn(), steps=[StepResult(s, Status.PASS, "fine") for s in STEP_ORDER],
                     org=OrgInfo(id="00D000000000001", name=f"Acme {EVIL}", is_sandbox=False))


def parent(**kw) -> dict:
    base = dict(session_id="sess-1", requester_id=REQ, connection=conn(), revision=1, diagnosis=failing())
    return parent_message(ParentView(**{**base, **kw}))


def buttons(msg) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]}
