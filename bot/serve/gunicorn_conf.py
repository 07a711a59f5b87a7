"""gunicorn settings for the Procfile's ``web`` process: ``gunicorn -c python:bot.serve.gunicorn_conf``.

Why these values (docs/operations.md says it for operators too):

- One worker: the per-minute limit counts in the process (work itself is claimed under leases in
  SQLite, so a deploy's overlapping processes run nothing twice: docs/hardening.md).
- gthread with 32 threads: a thread is held for as long as a request is arriving, so the thread
  count is how many slow clients can be in progress at once while a real command still finds a
  free thread. bot/serve/gunicorn_worker.py gives each connection 3 s to deliver its headers and the
  guard (bot/serve/http_guard.py) 3 s for the body, so a slow client holds its thread a few seconds
  at most. Threads are cheap here: they wait on sockets.
- keepalive 0: one request per connection. A refused body (413, 408) is then never drained
  from the socket, and no idle connection waits on a thread.
- timeout 30 instead of 0: the arbiter restarts a worker whose main loop hangs.
- graceful_timeout: the shutdown grace for runs in flight (APRITY_SHUTDOWN_GRACE, 20 s) plus
  a margin, inside Heroku's 30 s between SIGTERM and SIGKILL.
"""

from __future__ import annotations

import os

from bot.serve import lifecycle


def _grace() -> float:
    try:  # bot.settings validates the value and reports a bad one; here only the arithmetic
        return max(0.0, float(os.environ.get("APRITY_SHUTDOWN_GRACE") or 20))
    except ValueError:
        return 20.0


workers = 1
worker_class = "bot.serve.gunicorn_worker.GuardedThreadWorker"  # gthread + a read deadline
threads = 32
keepalive = 0
timeout = 30
graceful_timeout = int(_grace()) + 5


def worker_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    lifecycle.worker_exit(worker)


def worker_int(worker) -> None:  # noqa: ANN001
    lifecycle.worker_int(worker)
