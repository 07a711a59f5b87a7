"""What a failure outside Salesforce's JSON answer IS — a proxy answered, a TLS handshake failed, a key library
could not read the key, a wrapper hid the answer — whatever the client library calls it.

Two tiers per family: *sure* strings, the libraries' own words, which may decide (``high``): proxy and TLS in
:mod:`checks.rules.families_net`, the key file and wrappers in :mod:`checks.rules.families_key`; and a
*vocabulary* rule, a family noun and an outcome word near each other in any order
(:mod:`checks.rules.families_vocab`), so other clients' wordings of the same failure are read too (``medium``
mostly). Pure functions over redacted text; every pattern has bounded repetition (linear on a 2 MB log).
"""

from __future__ import annotations

from checks.rules import families_key, families_net, families_vocab
from checks.rules.family_finding import KEY_FILE, PROXY, TLS, WRAPPER, Finding, Findings, focus, lower

# Every word a family pattern needs (see each module's gates), and the vocabulary rule's nouns.
_WORDS = tuple(dict.fromkeys(
    families_net.WORDS + families_key.WORDS + families_vocab.NOUN_WORDS + ("private key", "connect", "407")))

__all__ = ["KEY_FILE", "PROXY", "TLS", "WRAPPER", "Finding", "recognise"]


def recognise(text: str, key_labels: tuple[str, ...] = ()) -> list[Finding]:
    """Family failures in redacted ``text`` (``key_labels``: labels of redacted keys); wrappers come last, and
    speak only when nothing more specific was read (the ranking in :mod:`checks.explain.ranking` decides)."""
    out = Findings()
    low = lower(text)
    text = focus(text, low, _WORDS)
    low = lower(text) if len(text) != len(low) else low
    families_net.proxy(text, low, out)
    families_net.tls(text, low, out)
    families_key.key_file(text, low, key_labels, out)
    out += families_vocab.vocabulary(text, low, {f.family for f in out})
    families_key.wrapper(text, low, out)
    return list(out)
