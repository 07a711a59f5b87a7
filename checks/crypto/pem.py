"""Bytes in: the KeyProblem error, reading key files, and PEM framing shared by keys and certificates.

Messages never quote file contents; keys are named by fingerprint only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime, timezone

KEY_PROBLEM_CODES: tuple[str, ...] = (
    "not_found", "unreadable", "empty", "encrypted", "base64_wrapped", "newlines_lost",
    "escaped_newlines", "no_start_line", "public_key_given", "certificate_given", "not_rsa",
    "too_small", "bad_der_or_pem", "not_a_certificate",
)
_MAX_FILE_BYTES = 1 << 20  # nothing this big is a key or a certificate; don't read it all


class KeyProblem(Exception):
    """A key or certificate that cannot be used, explained in plain words."""

    def __init__(self, code: str, message: str, hint: str) -> None:
        if code not in KEY_PROBLEM_CODES:
            raise ValueError(f"unknown key problem code: {code!r}")
        super().__init__(message)  # str(exc) is the message, and only the message
        self.code, self.message, self.hint = code, message, hint


# --- PEM framing -----------------------------------------------------------------------

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,40})-----")
ESCAPED_BREAK = re.compile(rb"\\[nr]")


@dataclass(frozen=True)
class Block:
    label: str
    text: bytes  # header through footer (or to the end of data when the footer is missing)
    body: bytes  # between header and footer
    has_end: bool


def as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8", "replace") if isinstance(data, str) else bytes(data)


def blocks(data: bytes) -> list[Block]:
    """Every ``-----BEGIN ...-----`` block in ``data``, in order."""
    found = []
    for m in _BEGIN.finditer(data):
        footer = b"-----END " + m.group(1) + b"-----"
        end = data.find(footer, m.end())
        stop, body_end = (len(data), len(data)) if end < 0 else (end + len(footer), end)
        found.append(Block(m.group(1).decode(), data[m.start():stop], data[m.end():body_end], end >= 0))
    return found


def lines_lost(body: bytes) -> bool:
    """True when header, base64 lines and footer no longer sit on their own lines.

    OpenSSL reads PEM line by line, so a key on one line, or with its line breaks
    turned into spaces (or bare carriage returns), fails there with "no start line".
    Indentation, trailing blanks and CRLF are fine and not flagged.
    """
    parts = body.split(b"\n")
    if len(parts) < 3 or parts[0].strip() or parts[-1].strip():
        return True
    return any(len(line.split()) > 1 for line in parts[1:-1])


def is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n\f\v" or ch == "\ufeff" for ch in text)


def base64_payload(data: bytes) -> bytes | None:
    """Decode ``data`` as one base64 blob (whitespace, quotes ignored), or None if it is not one."""
    compact = b"".join(data.split()).strip(b"\"'")
    if len(compact) < 16:
        return None
    # Accept the URL-safe alphabet too, but nothing outside it: no lenient skipping.
    compact = compact.translate(bytes.maketrans(b"-_", b"+/")) + b"=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def fingerprint(raw: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(raw).digest())


# --- helpers -----------------------------------------------------------------------------


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a file"


def read_file(path: str | os.PathLike[str], what: str) -> bytes:
    """The bytes of a ``what`` ("private key" or "certificate") file, or a KeyProblem saying why not."""
    shown = os.fsdecode(path)
    try:
        # O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer and hang the run;
        # it is then refused below as not a regular file. No effect on a regular file.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            os.close(fd)
            raise
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise KeyProblem(
                "unreadable", f"The {what} path {shown} is not a regular file (it is {_kind(mode)}).",
                f"Point it at the {what} file itself (PEM or DER).",
            )
        with open(fd, "rb") as fh:
            data = fh.read(_MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise KeyProblem(
            "not_found", f"No {what} file at {shown}.",
            "Check the path; relative paths are read from the directory aprity runs in.",
        ) from None
    except OSError as exc:  # permissions, a directory, a dangling mount...
        raise KeyProblem(
            "unreadable", f"The {what} file at {shown} cannot be read ({exc.strerror or type(exc).__name__}).",
            "Check that the path is a file and that the user running aprity may read it.",
        ) from None
    if len(data) > _MAX_FILE_BYTES:
        code = "not_a_certificate" if what == "certificate" else "bad_der_or_pem"
        raise KeyProblem(
            code, f"The {what} file at {shown} is over 1 MB, far too big to be a {what}.",
            "Check the path points at the right file.",
        )
    return data
