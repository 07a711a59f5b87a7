"""A tie is stored as a tie: history, the Home tab and stats count it apart, or credit the fix that preceded the pass."""

from __future__ import annotations

from dataclasses import replace

from bot.store import stats
from bot.store.db import Store
from bot.terminal.history import format_history
from bot.blocks.home import _session_line
from bot.blocks.session import diff_line
from checks.model import Candidate, CauseId, Confidence

from store_helpers import FakeClock, db_path, failing, new_session, passing, store  # noqa: F401 - fixtures

CERT, SIGS = CauseId.CERTIFICATE_MISMATCH, CauseId.DIGITAL_SIGNATURES_DISABLED


def tie():
    return replace(failing(), candidates=[Candidate(CERT, Confidence.MEDIUM), Candidate(SIGS, Confidence.MEDIUM)],
                   separating_check="Setup > App Manager > aprity > Edit: is \"Use digital signatures\" checked?")


def single(cause: CauseId):
    return replace(failing(), candidates=[Candidate(cause, Confidence.HIGH)])


def record(store: Store, sid: str, *diagnoses) -> None:
    for d in diagnoses:
        store.record_run(sid, trigger="button", diagnosis=d, started_at=store.now())


def test_the_run_and_the_session_keep_both_causes(store: Store) -> None:
    sid = new_session(store)
    record(store, sid, tie())
    run, sess = store.last_run(sid), store.session(sid)
    assert run["tied"] == sess["tied"] == "certificate_mismatch,digital_signatures_disabled"
    assert run["cause_id"] == "certificate_mismatch"  # older readers still find one cause
    record(store, sid, single(CERT))
    assert store.last_run(sid)["tied"] is None and store.session(sid)["tied"] is None


def test_history_and_home_name_both_causes_of_a_tie(store: Store) -> None:
    sid = new_session(store)
    record(store, sid, tie())
    table = format_history(store.recent_sessions(5))
    assert "certificate_mismatch or digital_signatures_disabled" in table
    line = _session_line({**store.session(sid), "escalated": False, "link": None})
    assert "tied: certificate in the Salesforce app" in line
    assert "or JWT Bearer Flow / \"Use digital signatures\"" in line.replace(
        "&quot;", "\"")


def test_was_names_the_tie_not_its_first_cause(store: Store) -> None:
    sid = new_session(store)
    record(store, sid, tie())
    line = diff_line(store.last_run(sid), passing())
    assert line is not None and "was: *tied: certificate" in line and "signatures" in line and "now: *working*" in line


def test_stats_count_a_tie_apart_or_credit_the_fix_that_preceded_the_pass(db_path, store: Store) -> None:
    unresolved = new_session(store)
    record(store, unresolved, tie(), passing())  # which fix worked is not known: a tie
    narrowed = new_session(store)
    record(store, narrowed, tie(), single(SIGS), passing())  # the last verdict before the pass was one cause
    plain = new_session(store)
    record(store, plain, single(CERT))
    figures = stats.compute(db_path, now=store.now() + 10)
    assert dict(figures.top_causes) == {"certificate_mismatch,digital_signatures_disabled": 1,
                                        "digital_signatures_disabled": 1, "certificate_mismatch": 1}
    as_json = {c["cause"]: c for c in figures.to_dict()["top_causes"]}
    assert as_json["certificate_mismatch,digital_signatures_disabled"]["tied"] == [CERT, SIGS]
    assert "Tied: Certificate in the Salesforce app does not match the private key or" in stats.as_text(figures)


def test_an_older_log_without_the_column_still_gives_figures(tmp_path) -> None:
    import sqlite3
    path = tmp_path / "old.db"
    s = Store(path, clock=FakeClock())
    sid = new_session(s)
    record(s, sid, single(CERT))
    s.disconnect()
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE runs DROP COLUMN tied")
    conn.close()
    assert dict(stats.compute(path, now=2_000_000_000, days=365 * 10).top_causes) == {"certificate_mismatch": 1}
