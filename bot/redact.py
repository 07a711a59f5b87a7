"""One guard for every sink the Slack layer writes to (Slack messages, SQLite).

The engine never puts secrets in its results; this is the second line of defence,
shared so Slack and the session log hide exactly the same things.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

# A PEM block from its BEGIN marker to its END line, or to the end of the text when cut off.
_PEM_RE = re.compile(r"-----BEGIN.*?(?:-----END[^\n]*?-----|\Z)", re.DOTALL)
# Salesforce access token: 15/18-char org id, "!", then the session part.
_SF_TOKEN_RE = re.compile(r"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,}")
# Slack tokens, in case one is pasted into an error text.
_SLACK_TOKEN_RE = re.compile(r"xox[abposr]-[A-Za-z0-9-]{8,}")


def redact(text: str) -> str:
    """Replace private keys (any PEM block), Salesforce access tokens and Slack tokens with ``[redacted]``."""
    text = _PEM_RE.sub(REDACTED, text)
    text = _SF_TOKEN_RE.sub(REDACTED, text)
    return _SLACK_TOKEN_RE.sub(REDACTED, text)
