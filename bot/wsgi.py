"""Gunicorn entry point: ``gunicorn --workers 1 --threads 8 'bot.wsgi:create()'``.

A factory, so nothing starts at import time. One worker only: the retest
scheduler lives in the process, and each extra worker would run every retest again.
"""

from __future__ import annotations

import logging
import os

from slack_bolt.adapter.wsgi import SlackRequestHandler

from .app import build
from .serve import wsgi_app
from .runtime import SettingsError
from .settings import Settings


def create() -> SlackRequestHandler:
    logging.basicConfig(level=os.environ.get("APRITY_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        # build() checks settings too (APRITY_SALESFORCE_SIMULATOR is read when the engine is made)
        return wsgi_app(build(Settings.from_env(mode="http")))
    except SettingsError as exc:  # one clear line instead of a traceback in the gunicorn log
        raise SystemExit(f"aprity-diagnose: {exc}") from None
