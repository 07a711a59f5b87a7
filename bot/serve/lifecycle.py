"""Stopping the bot at a deploy (SIGTERM) without telling anyone "something went wrong".

The order matters: first nothing new may start (the scheduler stops firing retests, the pool
stops starting runs), then runs in flight get a grace period, and only when none is left are
the HTTP clients closed: closing them under a run would fail it, and the run would report an
error to its thread. A run still going when the grace is over is left alone; its session is
still ``running`` in SQLite, so the next start runs it again. The process then exits at once
(:func:`leave`) rather than wait for that run.

gunicorn calls :func:`worker_exit` and :func:`worker_int` from ``bot/serve/gunicorn_conf.py``;
``aprity-diagnose socket`` and ``http`` call :func:`stop` themselves.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Protocol

log = logging.getLogger(__name__)


def leave(drained: bool) -> None:
    """Exit now if runs were left going: waiting for them would only end in SIGKILL."""
    if not drained:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


class _Drains(Protocol):
    def shutdown(self, grace: float = 0.0) -> bool: ...


def stop(bot: _Drains, grace: float) -> None:
    leave(bot.shutdown(grace))


class _Stoppable(Protocol):
    def stop(self, grace: float | None = None) -> bool: ...


def _served(worker: Any) -> _Stoppable | None:
    app = getattr(worker, "wsgi", None)  # set once the worker has loaded bot.serve.wsgi:create()
    return app if callable(getattr(app, "stop", None)) else None


def worker_exit(worker: Any) -> None:
    """gunicorn's ``worker_exit`` hook: the worker has stopped serving; drain the runs."""
    app = _served(worker)
    if app is not None:
        leave(app.stop())


def worker_int(worker: Any) -> None:
    """gunicorn's ``worker_int`` hook (SIGINT/SIGQUIT: stop quickly, no grace)."""
    app = _served(worker)
    if app is not None:
        leave(app.stop(0.0))
