"""Clues around the error in pasted text: hosts, usernames, audiences and ``exp`` claims that move a cause up or
down (:func:`checks.explain.reader.explain`), and the board the causes are ranked on.
"""

from __future__ import annotations

import re

from checks.explain.extract import UNREACHABLE, Context, Hit
from checks.model import CONFIDENCE_RANK, Candidate, CauseId, Confidence, rank
from checks.rules.errors import ErrorKind
from checks.salesforce.hosts import (LOGIN, TEST, environment_of, is_api_host, is_login_host, my_domain_for,
                                     sandbox_suffix)

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
C = CauseId
K = ErrorKind
# Answers a host/username mix-up can produce; other kinds name their cause on their own.
HOST_KINDS = {K.INVALID_ASSERTION, K.NOT_APPROVED, K.CLIENT_ID_INVALID, K.APP_NOT_FOUND, K.AUDIENCE_INVALID}

_COUNTRY_OR_SANDBOX = re.compile(r"(?i)@[^@\s]{1,200}\.(?:com|net|org)\.[a-z]{2}$")


class Board:
    """Candidates by cause, keeping first-seen order so ties stay in the order evidence arrived."""

    def __init__(self) -> None:
        self.by_id: dict[CauseId, Candidate] = {}

    def add(self, cid: CauseId, conf: Confidence, reason: str) -> None:
        old = self.by_id.get(cid)
        if old is None or CONFIDENCE_RANK[conf] > CONFIDENCE_RANK[old.confidence]:
            self.by_id[cid] = Candidate(cid, conf, reason if old is None or reason else old.reason)

    def promote(self, cid: CauseId) -> None:
        """Put ``cid`` first among its equals: the clue that raised it also explains the others."""
        if cid in self.by_id:
            self.by_id = {cid: self.by_id[cid], **{k: v for k, v in self.by_id.items() if k != cid}}

    def cap(self, cid: CauseId, conf: Confidence) -> None:
        old = self.by_id.get(cid)
        if old is not None and CONFIDENCE_RANK[old.confidence] > CONFIDENCE_RANK[conf]:
            self.by_id[cid] = Candidate(cid, conf, old.reason)

    def ranked(self) -> list[Candidate]:
        return rank(list(self.by_id.values()))


def show(value: str, limit: int = 100) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _suggest(host: str) -> str:
    return "https://" + host.replace(".lightning.force.com", ".my.salesforce.com")


def _host_of(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].lower()


def host_clues(board: Board, clues: list[str], ctx: Context, hits: list[Hit], kinds: set[ErrorKind],
                host_conf: Confidence | None) -> None:
    """Clues from hosts, usernames, CLI audience notes and aud claims."""
    login_hosts = {h for h in ctx.hosts if is_login_host(h)} | {_host_of(a) for a in ctx.aud if "://" in a}
    sandbox = sorted(h for h in login_hosts if environment_of(h) == "sandbox")
    prod = sorted(h for h in login_hosts if environment_of(h) == "production")
    unreachable = any(h.error.error == UNREACHABLE for h in hits)

    def bump(reason: str, conf: Confidence | None = host_conf) -> None:
        if conf is not None:
            board.add(C.USERNAME_OR_LOGIN_URL, conf, reason)

    def blame_host(reason: str) -> None:
        # The "unreachable" answer came from a host that was never a login host: the URL is the cause.
        bump(reason, H)
        board.cap(C.SALESFORCE_UNREACHABLE, M)
        board.promote(C.USERNAME_OR_LOGIN_URL)

    for h in dict.fromkeys(ctx.hosts):
        if h.endswith(".lightning.force.com") or h.endswith(".salesforce-setup.com"):
            clues.append(f"{show(h)} is a browser address (Lightning or Setup), not a login host: log in at "
                         f"{my_domain_for(h) or _suggest(h)}.")
            if unreachable:
                blame_host("a *.lightning.force.com address was used as the login URL")
            else:
                bump("a *.lightning.force.com address was used as the login URL",
                     H if kinds & HOST_KINDS else host_conf)
        elif "salesforce" in h and not is_api_host(h):
            clues.append(f"{show(h)} is not a Salesforce login host; check the login URL for a typo.")
            if unreachable:
                blame_host("the login host is not a Salesforce host")
            else:
                bump("the login host is not a Salesforce host", M if host_conf else None)
    if sandbox and prod:
        clues.append(f"The text mixes sandbox host(s) {', '.join(sandbox)} with production host(s) {', '.join(prod)}: "
                     "a sandbox logs in at https://test.salesforce.com or its sandbox My Domain, production elsewhere.")
        bump("sandbox and production hosts are mixed in one login")

    names = list(dict.fromkeys([u for u, _ in ctx.users] + ctx.sub))
    suffixed = [(u, s) for u in names if (s := sandbox_suffix(u))]
    for user, suffix in suffixed[:3]:
        if prod:
            clues.append(f"The username {show(user)} ends in .{suffix}, the mark of a sandbox user, but the login "
                         f"went to production ({', '.join(prod)}): use https://test.salesforce.com "
                         "or the sandbox My Domain.")
            bump("a sandbox username was sent to a production login host")
        elif sandbox:
            clues.append(f"The username {show(user)} and the host {sandbox[0]} both point at a sandbox; they agree.")
    for user in [u for u in names if _COUNTRY_OR_SANDBOX.search(u) and not sandbox_suffix(u)][:1]:
        if prod:  # ".qa" is Qatar's domain, or a sandbox named qa: the text cannot say which
            clues.append(f"The username {show(user)} ends in a two-letter suffix: a sandbox of that name (then log "
                         "in at https://test.salesforce.com or the sandbox My Domain), or a country domain.")
            bump("a username that may be a sandbox user's was sent to a production login host", M)
    labelled = [u for u, is_labelled in ctx.users if is_labelled and not sandbox_suffix(u)]
    if labelled and sandbox and not prod and not suffixed:
        clues.append(f"The username {show(labelled[0])} has no sandbox suffix but the host {sandbox[0]} is a sandbox: "
                     "sandbox usernames usually end with .<sandbox name>.")
        bump("a production-style username was sent to a sandbox host", M if host_conf else None)

    multi = sum(1 for h in hits if h.attempt) > 1
    for aud, login in ctx.pairs:
        env_a, env_l = environment_of(aud), environment_of(login)
        if aud.lower().startswith("http://"):
            clues.append(f"The audience {show(aud)} uses http://; Salesforce only accepts an https:// audience.")
            bump("the audience uses http://", H if K.AUDIENCE_INVALID in kinds else host_conf)
        elif "unknown" not in (env_a, env_l) and env_a != env_l and not multi:
            clues.append(f"The audience {show(aud)} is a {env_a} host but the token request went to {show(login)} "
                         f"({env_l}): the two must match the org.")
            bump("audience and token host disagree about production vs sandbox", H)
    for aud in dict.fromkeys(ctx.aud):
        if aud.lower().startswith("http://"):
            clues.append(f"The assertion's aud {show(aud)} uses http://; it must be an https:// URL.")
            bump("the aud claim uses http://", H if K.AUDIENCE_INVALID in kinds else host_conf)
        elif aud and "://" not in aud:
            clues.append(f"The assertion's aud {show(aud)} is not a full URL; write it as https://{show(aud)}.")
            bump("the aud claim is not a full https URL", H if K.AUDIENCE_INVALID in kinds else host_conf)

    if K.APP_NOT_FOUND in kinds:
        used = {_host_of(login) for _, login in ctx.pairs} | login_hosts
        generic = sorted(h for h in used if h in (LOGIN, TEST))
        my_domains = sorted(h for h in used if is_login_host(h) and h not in (LOGIN, TEST))
        target = (f"https://{my_domains[0]}" if my_domains
                  else "the org's My Domain URL (https://<name>.my.salesforce.com)")
        if generic:
            clues.append(f"External Client Apps (Spring '26 and later) are not found through {', '.join(generic)}: "
                         f"use {target} for both the login URL and the audience.")
            board.add(C.USERNAME_OR_LOGIN_URL, H, "the app was looked up through a generic login host")
        elif my_domains:
            clues.append(f"The request already went to the My Domain {my_domains[0]}: the app may not be installed "
                         "in this org, or the consumer key belongs to another org.")
            board.add(C.CONSUMER_KEY_MISMATCH, M, "the app is not installed in the org behind the My Domain")


def exp_clues(board: Board, clues: list[str], ctx: Context, kinds: set[ErrorKind], now: float | None) -> None:
    for exp in dict.fromkeys(ctx.exp):
        if exp > 10**11:
            clues.append(f"exp {exp} is in milliseconds, i.e. far in the future; Salesforce accepts that, "
                         "so expiry is not what failed.")
            board.cap(C.CLOCK_SKEW_OR_EXPIRY, M if K.EXPIRED in kinds else L)
        elif now is not None and exp < now - 180:
            clues.append(f"exp {exp} was {int((now - exp) // 60)} minutes in the past when checked: "
                         "the signing clock or the exp arithmetic is wrong.")
            board.add(C.CLOCK_SKEW_OR_EXPIRY, H, "the assertion's exp is already in the past")
