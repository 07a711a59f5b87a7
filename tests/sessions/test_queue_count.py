"""The "queued" answer counts exactly: with every worker busy, the next command is told it waits."""

from __future__ import annotations

import threading

from bot.blocks import queued_message
from bot.sessions.executor import RunExecutor


def test_fifth_run_with_four_running_is_queued_and_told_its_place() -> None:
    pool = RunExecutor(max_workers=4)
    gate = threading.Event()
    try:
        places = [pool.submit(gate.wait)[1] for _ in range(7)]
    finally:
        gate.set()
        pool.shutdown(wait=True)
    assert places == [0, 0, 0, 0, 1, 2, 3]
    assert "it is next" in queued_message(places[4])["text"]
    assert "2 check(s) ahead" in queued_message(places[6])["text"]

