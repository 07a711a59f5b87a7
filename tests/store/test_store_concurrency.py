"""bot.store.db under concurrency: one winner per claim, idempotent escalation, reads across threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.store.db import Store

from store_helpers import failing, new_session
from store_helpers import db_path, store  # noqa: F401 - fixtures, found by name


def run_threads(n: int, target: Callable[[int], Any]) -> list[Any]:
    """Run ``target(i)`` in n threads released together; return results in index order."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except BaseException as exc:  # surfaced below: a thread error must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


# -- concurrency ---------------------------------------------------------------------------


def test_claim_from_many_threads_has_exactly_one_winner(store: Store) -> None:
    sid = new_session(store)
    for _ in range(5):  # several rounds: one lucky interleaving must not hide a race
        results = run_threads(8, lambda i: store.claim(sid))
        assert results.count(True) == 1 and results.count(False) == 7
        assert store.session(sid)["busy"] is True
        store.release(sid)
        assert store.session(sid)["busy"] is False


def test_claim_from_separate_stores_on_same_file(db_path: Path) -> None:
    # Two Store objects mimic two processes (gunicorn workers) sharing the file.
    a, b = Store(db_path), Store(db_path)
    sid = new_session(a)
    results = run_threads(8, lambda i: (a if i % 2 else b).claim(sid))
    assert results.count(True) == 1


def test_record_escalation_is_idempotent_under_concurrency(store: Store) -> None:
    sid = new_session(store)
    results = run_threads(6, lambda i: store.record_escalation(sid, by_user=f"U{i}", channel="CESC"))
    created = [row for was_created, row in results if was_created]
    assert len(created) == 1
    winner = created[0]
    assert all(row == winner for _, row in results)  # losers get the winner's row
    assert winner["ts"] is None and winner["channel"] == "CESC"

    again, row = store.record_escalation(sid, by_user="U99", channel="COTHER")
    assert again is False and row["by_user"] == winner["by_user"]

    store.set_escalation_message(sid, "1700000001.000200", "https://slack.example/p1")
    esc = store.escalation(sid)
    assert (esc["ts"], esc["permalink"], esc["by_user"]) == (
        "1700000001.000200", "https://slack.example/p1", winner["by_user"])
    assert store.escalation(new_session(store)) is None


def test_reads_from_other_threads_see_committed_writes(store: Store) -> None:
    sid = new_session(store)
    store.claim(sid)
    store.record_run(sid, trigger="command", diagnosis=failing(), started_at=1.0)
    seen = run_threads(1, lambda i: (store.session(sid)["status"], len(store.runs(sid))))
    assert seen == [("failing", 1)]

    # And the other way: a scheduler thread writes, the listener thread reads.
    run_threads(1, lambda i: store.set_retest_plan(sid, [99.0], started_at=1.0))
    assert store.session(sid)["retest_due_at"] == 99.0
