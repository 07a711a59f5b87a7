"""What earlier runs proved about a connection, kept in SQLite; and a diagnosis' Setup links through a restart."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from bot.store import run_detail
from bot.store.app_memory import key_of
from bot.store.db import Store
from checks.model import (ConnectionSummary, Diagnosis, Status, StepId, StepResult)


def test_remembered_per_connection_and_kept_across_a_restart(tmp_path) -> None:
    path = tmp_path / "bot.db"
    store = Store(path)
    key = key_of("acme", "u@acme.com", "3MVG9x")
    assert store.recall_app(key) == (None, None)
    store.remember_app(key, "external_client_app", "https://acme.my.salesforce.com")
    store.remember_app(key, None, None)  # a run that learned nothing changes nothing
    store.remember_app(key, None, "https://acme.my.salesforce.com")  # a run that only saw the My Domain keeps the kind
    store.disconnect()
    again = Store(path)  # a new process on the same file; the migration is idempotent
    assert again.recall_app(key) == ("external_client_app", "https://acme.my.salesforce.com")
    assert again.recall_app(key_of("other", "u@acme.com", "3MVG9x")) == (None, None)
    # the same name pointed at another app or user starts afresh: no old org's My Domain for a new one
    assert again.recall_app(key_of("acme", "u@acme.com", "3MVG9y")) == (None, None)
    assert again.recall_app(key_of("acme", "v@acme.com", "3MVG9x")) == (None, None)


def test_ad_hoc_connections_are_keyed_by_user_and_key_without_storing_the_key(tmp_path) -> None:
    key = key_of(None, "U@Acme.com", "3MVG9secretish")
    assert key == key_of(None, "u@acme.com", "3MVG9secretish") and "3MVG9" not in key
    assert key != key_of(None, "u@acme.com", "3MVG9other")


def test_a_database_from_before_is_migrated_in_place(tmp_path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # an empty file from an older version: no app_memory table
    key = key_of("a", "u@a.com", "3MVG9a")
    Store(path).remember_app(key, "connected_app", None)
    assert Store(path).recall_app(key) == ("connected_app", None)


def test_links_and_app_type_survive_the_run_detail_and_old_rows_have_none() -> None:
    link = ("Users", "https://acme.my.salesforce.com/lightning/setup/ManageUsers/home")
    step = StepResult(StepId.PRE_AUTHORIZATION, Status.WARN, "possible", verify=("v",), fix=("f",), links=(link,))
    summary = ConnectionSummary(name="acme", username="u", login_url="https://acme.my.salesforce.com",
                                consumer_key="3MVG9x", environment="production")
    d = Diagnosis(ok=False, connection=summary, steps=[step], app_type="external_client_app",
                  app_type_source="proven", my_domain_url="https://acme.my.salesforce.com")
    bare = replace(d, steps=[replace(step, links=(), verify=(), fix=())], app_type="unknown",
                   app_type_source="unknown", my_domain_url=None)
    back = run_detail.apply(bare, run_detail.encode(d))
    assert back.steps[0].links == (link,) and back.links == [link]
    assert (back.app_type, back.app_type_source, back.my_domain_url) == (
        "external_client_app", "proven", "https://acme.my.salesforce.com")
    old = run_detail.apply(bare, '{"steps": [{"verify": ["v"], "fix": ["f"], "detail": []}]}')
    assert old.steps[0].links == () and old.app_type == "unknown"
