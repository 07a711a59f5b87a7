"""Gunicorn entry point: ``gunicorn -c python:bot.serve.gunicorn_conf 'bot.serve.wsgi:create()'`` (see Procfile).

A factory, so nothing starts at import time. One worker: processes sharing the database
claim their work under leases (see docs/hardening.md), but the per-minute limit counts in memory.
"""

from __future__ import annotations

import logging
import os
import sys

from bot.slack.app import build
from bot.runtime import SettingsError
from bot.serve.runners import BotApp, warn_if_ephemeral_db, wsgi_app
from bot.settings import Settings

# gunicorn's arbiter stops for good when a worker exits with this code ("Worker failed to
# boot") instead of starting a new worker every second; a missing setting will not fix itself.
WORKER_BOOT_ERROR = 3


def create() -> BotApp:
    logging.basicConfig(level=os.environ.get("APRITY_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(mode="http")
        # build() checks settings too (APRITY_SALESFORCE_SIMULATOR is read when the engine is made)
        bot = build(settings)
    except SettingsError as exc:  # one clear line instead of a traceback in the gunicorn log
        print(f"aprity-diagnose: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(WORKER_BOOT_ERROR) from None
    assert settings.signing_secret is not None
    warn_if_ephemeral_db()
    return wsgi_app(bot, settings.signing_secret, settings.shutdown_grace)
