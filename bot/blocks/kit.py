"""Block constructors that respect Slack's limits, and the final guard for a whole message."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.blocks.text import (BUTTON_TEXT, BUTTON_VALUE, ELLIPSIS, FALLBACK_TEXT, HEADER_TEXT, MAX_BLOCKS,
                   MAX_CONTEXT_ELEMENTS, MAX_FIELDS, MAX_ID, MESSAGE_TEXT_BUDGET, SECTION_TEXT,
                   FIELD_TEXT, clamp, plain)

Block = dict[str, Any]


def _bid(block: Block, block_id: str | None) -> Block:
    if block_id:
        block["block_id"] = block_id[:MAX_ID]
    return block


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    """A mrkdwn text object from already-escaped text."""
    return {"type": "mrkdwn", "text": clamp(text, limit) or "—"}


def section(text: str, block_id: str | None = None) -> Block:
    return _bid({"type": "section", "text": mrkdwn(text)}, block_id)


def fields_section(pairs: Sequence[str], block_id: str | None = None) -> Block:
    return _bid({"type": "section", "fields": [mrkdwn(p, FIELD_TEXT) for p in pairs[:MAX_FIELDS]]}, block_id)


def header(text: str, block_id: str | None = None) -> Block:
    return _bid({"type": "header", "text": {"type": "plain_text", "text": plain(text, HEADER_TEXT) or "—",
                                            "emoji": True}}, block_id)


def context(texts: Iterable[str], block_id: str | None = None) -> Block:
    elements = [mrkdwn(t) for t in texts if t][:MAX_CONTEXT_ELEMENTS]
    return _bid({"type": "context", "elements": elements or [mrkdwn("—")]}, block_id)


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, *, style: str | None = None,
           confirm: dict[str, Any] | None = None) -> dict[str, Any]:
    if not value or len(value) > BUTTON_VALUE:
        # A cut value would point at another session: refuse rather than guess.
        raise ValueError(f"button value must be 1..{BUTTON_VALUE} characters")
    b: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": plain(text, BUTTON_TEXT),
                                                    "emoji": True},
                         "action_id": action_id[:MAX_ID], "value": value}
    if style:
        b["style"] = style
    if confirm:
        b["confirm"] = confirm
    return b


def actions(elements: Sequence[dict[str, Any]], block_id: str | None = None) -> Block | None:
    return _bid({"type": "actions", "elements": list(elements[:25])}, block_id) if elements else None


def line_sections(lines: Sequence[str], *, title: str | None = None, max_sections: int = 5,
                  block_prefix: str | None = None) -> list[Block]:
    """Pack escaped lines into as few sections as fit (≤3000 chars each), at most ``max_sections``."""
    chunks: list[str] = []
    current = title or ""
    for line in lines:
        line = clamp(line, SECTION_TEXT)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= SECTION_TEXT:
            current = candidate
            continue
        chunks.append(current)
        current = line
    if current:
        chunks.append(current)
    if len(chunks) > max_sections:
        dropped = sum(c.count("\n") + 1 for c in chunks[max_sections - 1:])
        chunks = chunks[: max_sections - 1] + [f"{ELLIPSIS} {dropped} more line(s) not shown"]
    return [section(c, f"{block_prefix}_{i}" if block_prefix else None) for i, c in enumerate(chunks)]


def _text_size(block: Block) -> int:
    size = len((block.get("text") or {}).get("text", ""))
    size += sum(len(f.get("text", "")) for f in block.get("fields", []))
    size += sum(len(e.get("text", "")) if isinstance(e.get("text"), str) else 0
                for e in block.get("elements", []))
    return size


def finish(fallback: str, blocks: Iterable[Block | None], *, max_blocks: int = MAX_BLOCKS) -> dict[str, Any]:
    """Assemble a message: drop empties, cap block count and total text, non-empty fallback.

    Long sections are shortened first; if that is not enough, trailing blocks make way for a
    "not shown" note. A final actions block (the buttons) is always kept.
    """
    out = [b for b in blocks if b]
    tail = [out.pop()] if out and out[-1]["type"] == "actions" else []
    excess = sum(_text_size(b) for b in out + tail) - MESSAGE_TEXT_BUDGET
    while excess > 0:
        longest = max((b for b in out if b["type"] == "section" and "text" in b),
                      key=lambda b: len(b["text"]["text"]), default=None)
        if longest is None or len(longest["text"]["text"]) <= 200:
            break
        text = longest["text"]["text"]
        longest["text"]["text"] = clamp(text, max(200, len(text) - excess))
        excess -= len(text) - len(longest["text"]["text"])
    dropped = 0
    # Once anything is dropped, leave room (one block, some text) for the note.
    while out and (len(out) + len(tail) + (1 if dropped else 0) > max_blocks
                   or excess + (100 if dropped else 0) > 0):
        excess -= _text_size(out.pop())
        dropped += 1
    if dropped:
        note = context([f"{ELLIPSIS} {dropped} more block(s) not shown"])
        out.append(note)
    return {"text": clamp(fallback.strip(), FALLBACK_TEXT) or "aprity-diagnose", "blocks": out + tail}
