"""The runners' SIGTERM wait wakes even when the kernel hands the signal to another thread."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import pytest

from bot.serve import runners


@pytest.fixture
def handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_a_sigterm_taken_by_another_thread_ends_the_wait(handlers) -> None:
    stop = runners._stop_signal()
    assert not stop.wait(0.05) and not stop.is_set()
    # A process-wide signal may land on any thread (a server's, the scheduler's): here, a helper's own,
    # sent once the main thread is (most likely) blocked in the wait, as a runner's is for hours.
    def send() -> None:
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

    helper = threading.Thread(target=send)
    helper.start()
    try:
        assert stop.wait(10), "the main thread never acted on the SIGTERM"  # an Event.wait sleeps on
        assert stop.is_set()
    finally:
        helper.join()


def test_sigint_stops_too(handlers) -> None:
    stop = runners._stop_signal()
    signal.raise_signal(signal.SIGINT)
    assert stop.wait(30) and stop.is_set()
