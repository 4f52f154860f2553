"""The worker's reading of candidates from the index, on both databases: every fiche
under a key within the cap, no fiche under a key over it, rows indexed before record
forms existed still read; and on PostgreSQL, one statement for the keys and the records
(each statement a round trip, waited for on a loaded machine)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import psycopg
import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.services.matching.online import OnlineMatcher, identity_of
from hub.store.matching_tables import match_keys, match_records
from hub.store.uow import UnitOfWork
from tests.factories import Clock
from tests.integration.dedup_world import (
    COMMUNE,
    PERSON,
    fiche_of,
    hub_for,
    pg_hub_for,
    push,
)
from tests.integration.statements import statements_sent

pytestmark = pytest.mark.integration

CAP = 2
# Three strangers born on PERSON's birth day: that key is held by more fiches than the cap.
BORN_SAME_DAY = [{"nom": name, "prenom": first, "date_naissance": PERSON["date_naissance"]}
                 for name, first in (("Bérard", "Yvette"), ("Coudert", "Lucien"),
                                     ("Dauphin", "Gisèle"))]
# PERSON's namesake born another day and living elsewhere: shares her name keys only.
NAMESAKE = {"nom": PERSON["nom"], "prenom": PERSON["prenom"], "date_naissance": "1990-07-21"}


@pytest.fixture
def world(db_url, tmp_path) -> Iterator[tuple[Hub, Clock]]:
    yield from hub_for(db_url, tmp_path, match_candidates_per_key=CAP)


def _indexed(hub: Hub) -> dict[str, int]:
    """The strangers and the namesake indexed at COMMUNE; fiche pk by fiche id."""
    people = {f"S-{n}": person for n, person in enumerate(BORN_SAME_DAY)}
    people["N-1"] = NAMESAKE
    for fiche_id, person in people.items():
        push(hub, COMMUNE, fiche_of(COMMUNE, fiche_id, person))
    with hub.uow() as uow:
        return {fiche_id: uow.fiches.porteur_of(COMMUNE.member_id, fiche_id).id
                for fiche_id in people}


def _keys_of(hub: Hub, uow: UnitOfWork, person: dict) -> list[str]:
    return OnlineMatcher(hub, uow).digests(identity_of(person))


def test_the_fiches_under_keys_within_the_cap_are_read_and_none_under_a_key_over_it(world):
    hub, _clock = world
    pks = _indexed(hub)
    with hub.uow() as uow:
        digests = _keys_of(hub, uow, PERSON)
        held, records = uow.matching.indexed_under(digests, CAP)
        candidates = uow.matching.candidates(digests, CAP)
    over_cap = [pks_under for pks_under in held.values() if len(pks_under) > CAP]
    assert over_cap == [sorted(pks[f"S-{n}"] for n in range(CAP + 1))]  # the birth date
    assert set(held) == _keys_holding_fiches(hub, digests)  # most hold none: left out
    assert all(held.values())
    assert set(records) == {pks["N-1"]}  # the strangers come only under the birth date
    assert [c.fiche_pk for c in candidates] == [pks["N-1"]]
    assert records[pks["N-1"]].record.nom == candidates[0].record.nom


def test_a_batch_keeps_no_list_for_its_keys_under_no_fiche_and_forgets_them_as_common(world):
    """Most of a batch's keys hold no fiche (some twenty a fiche, most of its porteur's
    own): the batch's reading notes them as read, without a list of fiches each, and a
    key known over the cap found under no fiche (its fiches erased) is common no more."""
    hub, _clock = world
    pks = _indexed(hub)
    with hub.uow() as uow:
        digests = _keys_of(hub, uow, PERSON)
    empty = set(digests) - _keys_holding_fiches(hub, digests)
    gone = min(empty)
    hub.common_keys.learn({gone: list(range(CAP + 1))}, CAP)
    with hub.uow() as uow:
        matcher = OnlineMatcher(hub, uow)
        matcher.lock([identity_of(PERSON)])
        batch = matcher._batch_for(digests)
    assert empty and set(digests) <= batch.fetched
    assert set(batch.held) == set(digests) - empty and all(batch.held.values())
    assert gone not in hub.common_keys
    assert [c.fiche_pk for c in batch.candidates(digests, skip_fiche=0)] == [pks["N-1"]]


def _keys_holding_fiches(hub: Hub, digests: list[int]) -> set[int]:
    """The keys of `digests` some fiche is indexed under, as the index table says."""
    with hub.engine.connect() as conn:
        return set(conn.execute(sa.select(match_keys.c.key).where(
            match_keys.c.key.in_(digests))).scalars())


def test_a_candidate_indexed_before_record_forms_existed_is_read_from_its_identity(world):
    hub, _clock = world
    pks = _indexed(hub)
    with hub.uow() as uow:
        before = uow.matching.candidates(_keys_of(hub, uow, PERSON), CAP)
    with hub.engine.begin() as conn:
        conn.execute(sa.update(match_records).where(match_records.c.fiche_pk == pks["N-1"])
                     .values(record_form=None))
    hub.identities.clear()
    with hub.uow() as uow:
        after = uow.matching.candidates(_keys_of(hub, uow, PERSON), CAP)
    assert [(c.fiche_pk, c.porteur_id, c.record) for c in after] == \
        [(c.fiche_pk, c.porteur_id, c.record) for c in before]


class _CountingCursor(psycopg.Cursor):  # type: ignore[type-arg]
    """A psycopg cursor that notes every statement sent through it, and the rows each
    answered."""

    sent: ClassVar[list[str]] = []
    answered: ClassVar[list[int]] = []

    def execute(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def,override]
        self.sent.append(str(query))
        done = super().execute(query, params, **kwargs)
        self.answered.append(self.rowcount)
        return done


def _statements_sent(uow: UnitOfWork) -> list[str]:
    """The statements the unit of work's connection sends from now on (PostgreSQL)."""
    driver = uow.connection.connection.driver_connection
    driver.cursor_factory = _CountingCursor  # type: ignore[union-attr]
    _CountingCursor.sent, _CountingCursor.answered = [], []
    return _CountingCursor.sent


@pytest.fixture
def pg_world(postgres_url, tmp_path) -> Iterator[tuple[Hub, Clock]]:
    yield from pg_hub_for(postgres_url, tmp_path, match_candidates_per_key=CAP)


def test_an_online_match_reads_its_keys_and_candidates_in_one_statement_on_postgresql(
        pg_world):
    """One round trip, answered one row per candidate and none per key: the keys' fiches
    serve a batch (which learns the keys over the cap), not a match."""
    hub, _clock = pg_world
    pks = _indexed(hub)
    with hub.uow() as uow:
        matcher = OnlineMatcher(hub, uow)
        sent = _statements_sent(uow)
        decision, rows, _digests = matcher.match(identity_of(PERSON))
    assert [row.fiche_pk for row in rows] == [pks["N-1"]]
    assert decision.kind != "link"  # a namesake born another day
    [(index_read, answered)] = [(s, n) for s, n in zip(sent, _CountingCursor.answered,
                                                        strict=True)
                                if "match_keys" in s or "match_records" in s]
    assert "match_keys" in index_read and "match_records" in index_read, sent
    assert answered == 1


def test_a_batch_reads_the_index_under_its_keys_in_one_statement_on_postgresql(pg_world):
    hub, _clock = pg_world
    pks = _indexed(hub)
    with hub.uow() as uow:
        matcher = OnlineMatcher(hub, uow)
        digests = [d for person in (PERSON, *BORN_SAME_DAY)
                   for d in matcher.digests(identity_of(person))]
        sent = _statements_sent(uow)
        held, records = uow.matching.indexed_under(digests, CAP)
    within = {pk for under in held.values() if len(under) <= CAP for pk in under}
    assert set(records) == within and {pks["N-1"], pks["S-0"]} <= within
    assert len(sent) == 1, sent


def test_an_online_match_holds_the_moves_and_sends_no_statement_through_sqlalchemy(pg_world):
    """Both statements of a match go on the driver's cursor: the lock of moves through
    SQLAlchemy's execution cost four times its round trip (0.32 ms against 0.07 at
    100,000 fiches), a twentieth of a match."""
    hub, _clock = pg_world
    _indexed(hub)
    with hub.uow() as uow:
        matcher = OnlineMatcher(hub, uow)
        with statements_sent(hub.engine) as executed:
            matcher.match(identity_of(PERSON))
        assert executed == []
        held = uow.connection.execute(sa.text(
            "SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 "
            "AND pid = pg_backend_pid() AND classid = :high AND objid = 0"),
            {"high": 0x706F7274}).scalars().all()
    assert held == ["ShareLock"]



# Three strangers of PERSON's postcode and commune whose surnames begin as hers (CH...)
# without sounding alike: the key of the place and two letters is held over the cap.
SAME_PLACE_AND_LETTERS = [
    {"nom": name, "prenom": first, "date_naissance": born,
     "adresse": {"code_postal": PERSON["adresse"]["code_postal"],
                 "commune": PERSON["adresse"]["commune"]}}
    for name, first, born in (("Chabrier", "Yvette", "1951-02-03"),
                              ("Charlot", "Lucien", "1962-05-06"),
                              ("Chevalier", "Gisèle", "1973-08-09"))]
# PERSON known only by her surname and postcode (the first name, the date and the rest
# lost): the place and two letters with the surname's sound are all she shares.
SURNAME_AND_POSTCODE = {"nom": "CHASSAING", "adresse": {"code_postal": "63600"}}


def test_a_key_over_the_cap_split_by_the_surname_sound_still_brings_its_namesake(world):
    """The online read skips a key over the cap (a worker would read all its fiches); the
    same block split by the surname's sound, within the cap, brings the fiche whose name
    sounds alike, as the batch compares it (`blocking._split`)."""
    hub, _clock = world
    person_pk = _indexed(hub)["N-1"]
    people = {f"C-{n}": person for n, person in enumerate(SAME_PLACE_AND_LETTERS)}
    people["P"] = PERSON
    for fiche_id, person in people.items():
        push(hub, COMMUNE, fiche_of(COMMUNE, fiche_id, person))
    with hub.uow() as uow:
        pk = uow.fiches.porteur_of(COMMUNE.member_id, "P").id
        candidates = uow.matching.candidates(_keys_of(hub, uow, SURNAME_AND_POSTCODE), CAP)
        strangers = {uow.fiches.porteur_of(COMMUNE.member_id, f"C-{n}").id for n in range(3)}
    found = {c.fiche_pk for c in candidates}
    assert pk in found
    assert not found & strangers and person_pk not in found
