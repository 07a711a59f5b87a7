"""gunicorn's gthread worker with a read deadline per connection (``worker_class`` in gunicorn_conf).

gthread hands each connection to a thread that reads the request headers with no time limit, so a
client that sends half a request line and stalls holds a thread for good; 32 of them would hold
them all. Here every connection gets :data:`READ_DEADLINE` seconds to deliver its request: then its
read side is shut and gunicorn drops it. Nothing else of gthread changes. (The body has the same
deadline in :class:`bot.serve.http_guard.HttpGuard`, which also covers the development server.)
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from bot.serve.http_guard import BODY_DEADLINE, Watchdog

# Counted from the moment a thread takes the connection. Slack sends a whole request at once and
# waits 3 s for the answer, so a request not in by then cannot be answered in time anyway.
READ_DEADLINE = BODY_DEADLINE


class GuardedThreadWorker(ThreadWorker):
    def handle(self, conn: Any) -> Any:
        watchdog = Watchdog(conn.sock, READ_DEADLINE, connection=True)  # harmless once the request is in: it only shuts reads
        try:
            return super().handle(conn)
        finally:
            watchdog.cancel()
