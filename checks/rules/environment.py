"""The org's environment as the evidence proves it, apart from what the login URL says.

Proof is a login that worked (at the configured host or a probe's), or the
Organization query's ``IsSandbox``; a host that merely refused says nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from checks.rules.facts import Facts
from checks.salesforce.hosts import environment_of


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def org_environment(facts: Facts) -> tuple[str | None, str | None]:
    """("production" | "sandbox" | None, the proof in words)."""
    reply = facts.reply
    if reply is not None and reply.ok:
        ver = facts.verification
        org = ver.organization if ver is not None else None
        if org is not None and org.ok and isinstance(org.data.get("IsSandbox"), bool):
            sandbox = org.data["IsSandbox"]
            return ("sandbox" if sandbox else "production",
                    f"the Organization query says IsSandbox = {'true' if sandbox else 'false'}")
        # The identity URL's host is login.salesforce.com for production, test.salesforce.com for sandboxes.
        for url in (reply.identity_url, facts.login_origin):
            env = environment_of(url) if url else "unknown"
            if env != "unknown":
                return env, f"the user logs in at {_host(url or '')}"
        return None, None
    accepted = facts.accepted_elsewhere()
    if accepted is not None:
        env = environment_of(accepted.plan.origin)
        if env != "unknown":
            return env, f"the user logs in at {_host(accepted.plan.origin)}"
    return None, None
