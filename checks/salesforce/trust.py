"""The trust store for HTTPS to Salesforce: one verifying SSLContext per process.

Loading a CA bundle (certifi's ~120 roots) costs ~20 ms of CPU, the largest single piece of
local work a cold diagnosis had before its first byte. The context holds no per-connection
state, so one serves every connection of every client; it is made once per setting (a test
or a proxy user may point SSL_CERT_FILE elsewhere). Kept free of heavy imports, so a command
can start loading it in the background before importing the engine.
"""

from __future__ import annotations

import os
import ssl
import threading

_lock = threading.Lock()
_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def _setting() -> tuple[str | None, str | None]:
    return os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None


def _load(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    # What httpx.create_ssl_context(trust_env=True) makes: SSL_CERT_FILE, else SSL_CERT_DIR, else certifi.
    if cafile:
        return ssl.create_default_context(cafile=cafile)
    if capath:
        return ssl.create_default_context(capath=capath)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def trust_context() -> ssl.SSLContext:
    """The verifying context for the current SSL_CERT_FILE / SSL_CERT_DIR, loaded at most once."""
    key = _setting()
    with _lock:
        context = _contexts.get(key)
        if context is None:
            context = _contexts[key] = _load(*key)
        return context


def _load_quietly() -> None:
    try:
        trust_context()
    except (OSError, ssl.SSLError):
        pass  # a bad SSL_CERT_FILE is reported where the client is made, not in this thread


def preload() -> None:
    """Start loading the trust store in the background. OpenSSL reads the bundle without the GIL,
    so the caller's imports go on meanwhile (the CLI's check command calls this first)."""
    threading.Thread(target=_load_quietly, name="trust-store", daemon=True).start()
