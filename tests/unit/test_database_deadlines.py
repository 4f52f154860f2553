"""The deadlines' server options join those the deployment gives, never replace them."""

from __future__ import annotations

from hub.store.deadlines import Deadlines


def test_the_deadlines_keep_the_options_of_the_database_url():
    url = "postgresql+psycopg://hub@db/hub?options=-c%20search_path%3Dhub"
    options = Deadlines().postgresql_connect_args(url)["options"]
    assert options.split(" -c ") == ["-c search_path=hub", "statement_timeout=30000",
                                     "lock_timeout=10000"]


def test_the_deadlines_keep_the_options_of_pgoptions(monkeypatch):
    monkeypatch.setenv("PGOPTIONS", "-c search_path=hub")
    options = Deadlines().postgresql_connect_args("postgresql+psycopg://hub@db/hub")["options"]
    assert options.startswith("-c search_path=hub -c statement_timeout=")


def test_without_given_options_only_the_deadlines(monkeypatch):
    monkeypatch.delenv("PGOPTIONS", raising=False)
    args = Deadlines(lock_s=0).postgresql_connect_args("postgresql+psycopg://hub@db/hub")
    assert args == {"connect_timeout": 5, "options": "-c statement_timeout=30000"}


def test_sessions_idle_in_a_transaction_are_ended_only_when_the_deployment_asks(monkeypatch):
    """Off by default: a legitimate transaction may sit idle a while between two
    statements (longer on a loaded machine); the access log's lock has its own limit."""
    monkeypatch.delenv("PGOPTIONS", raising=False)
    url = "postgresql+psycopg://hub@db/hub"
    assert "idle_in_transaction" not in Deadlines().postgresql_connect_args(url)["options"]
    options = Deadlines(idle_in_transaction_s=90).postgresql_connect_args(url)["options"]
    assert options.split(" -c ")[-1] == "idle_in_transaction_session_timeout=90000"
