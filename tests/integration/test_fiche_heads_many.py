"""The review queue reads the heads of every open item's fiches (`fiche_heads`): with a
large queue (some 16,000 open items on SQLite, 32,000 on PostgreSQL) one `IN` list of
their ids passes the database's bound on parameters (SQLite 32,766, PostgreSQL's
protocol 65,535), and the console's queue page would answer 500. The ids are read in
chunks, as the repository's other reads by many ids are."""

from __future__ import annotations


def test_the_heads_of_more_fiches_than_one_statement_may_bind_are_read(hub):
    many = range(1, 70_001)  # past both bounds; none of these fiches exist
    with hub.uow() as uow:
        assert uow.matching.fiche_heads(many) == {}
