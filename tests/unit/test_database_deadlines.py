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
