"""A push racing an erasure of the same fiche (PostgreSQL, READ COMMITTED): the push read
the fiche's key and version hashes without a lock, so an erasure committing between its
reads and its commit let it store a new version sealed with the key it had in memory,
with its plain content hash and receipt, or answer a duplicate with the receipt the
erasure had just blanked (`eff_…`, content hash ""). Now the push holds the fiche's key
row: the erasure waits for it (and forgets what it stored) or the push waits for the
erasure (and answers fiche_erased). Each race is stepped, never timed: one side is held
at a point until the other is done or waits for a lock."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from hub.services.accounts.auth import Caller
from hub.services.ingest import accept
from hub.services.privacy import erasure
from hub.store import repositories
from tests.factories import make_fiche, record_consents
from tests.integration.racing import Side, done_or_waiting_for_a_lock
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

OWNER = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")


def _fiche(fiche_id: str, version: int) -> dict:
    return make_fiche(member=OWNER.member_id, fiche_id=fiche_id, version=version)


def _first_pushed(hub) -> dict:
    first = _fiche("F-1", 1)
    record_consents(hub, [first, _fiche("F-NEW", 1)])
    answer = accept.push_batch(hub, OWNER, [first])
    assert answer["accepted"] == 1, answer
    return answer["results"][0]["receipt"]


def _versions_of(hub, fiche_id: str) -> list[tuple[int, str, str]]:
    with hub.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(
            "SELECT v.version, v.content_hash, v.receipt_id FROM fiche_versions v"
            " JOIN fiches f ON f.id = v.fiche_pk WHERE f.member_id = :m"
            " AND (f.fiche_id = :f OR f.fiche_id LIKE '~retrait~%') ORDER BY v.version"),
            {"m": OWNER.member_id, "f": fiche_id})]


def _same_bucket_next(hub) -> None:
    """The next fiche created falls in F-1's key bucket (the batch also creates one)."""
    with hub.engine.begin() as conn:
        pk = conn.scalar(sa.text("SELECT id FROM fiches WHERE fiche_id = 'F-1'"))
        conn.execute(sa.text(f"SELECT setval('fiches_id_seq', {pk + 255})"))


def _push_with_erasure_after_held(hub, monkeypatch, batch: list[dict]) -> tuple[Side, Side]:
    """The push reads what the hub holds of its fiches, then the erasure of F-1 runs until
    it is done or waits for a lock, then the push goes on."""
    held, erasing = repositories.Fiches.held, []

    def held_then_erase(self, member_id, fiche_ids):
        found = held(self, member_id, fiche_ids)
        if not erasing:
            erasing.append(Side(lambda: erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})))
            erasing[0].start()
            wait_until(done_or_waiting_for_a_lock(hub, erasing[0]), 60,
                       "the erasure done or waiting for the push")
        return found

    monkeypatch.setattr(repositories.Fiches, "held", held_then_erase)
    pushing = Side(lambda: accept.push_batch(hub, OWNER, batch))
    pushing.start()
    pushing.join(120)
    erasing[0].join(120)
    return pushing, erasing[0]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_version_pushed_while_an_erasure_commits_keeps_no_hash_of_the_erased_fiche(
        hub, monkeypatch) -> None:
    _first_pushed(hub)
    _same_bucket_next(hub)  # a new fiche in the erased one's bucket: no deadlock either
    pushing, erasing = _push_with_erasure_after_held(
        hub, monkeypatch, [_fiche("F-1", 2), _fiche("F-NEW", 1)])
    assert pushing.error is None and erasing.error is None, (pushing.error, erasing.error)
    results = pushing.answer["results"]
    assert results[1]["status"] == "accepted"
    versions = _versions_of(hub, "F-1")
    # Whichever went first, nothing of F-1 keeps its hash or a receipt of its content.
    assert [digest for _v, digest, _r in versions] == [""] * len(versions), versions
    assert not [r for _v, _d, r in versions if r.startswith("rcp_")], versions
    if results[0]["status"] == "accepted":  # the push went first: the erasure erased it too
        assert results[0]["receipt"]["content_hash"], results[0]
        assert len(versions) == 2
    else:
        assert results[0]["errors"][0]["code"] == "fiche_erased"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_same_version_pushed_again_while_an_erasure_commits_never_answers_a_blank_receipt(
        hub, monkeypatch) -> None:
    first = _first_pushed(hub)
    pushing, erasing = _push_with_erasure_after_held(hub, monkeypatch, [_fiche("F-1", 1)])
    assert pushing.error is None and erasing.error is None, (pushing.error, erasing.error)
    result = pushing.answer["results"][0]
    if result["status"] == "accepted":  # before the erasure: the receipt the member had
        assert result["duplicate"] is True
        assert result["receipt"]["content_hash"] == first["content_hash"], result
        assert result["receipt"]["receipt_id"] == first["receipt_id"], result
    else:
        assert result["errors"][0]["code"] == "fiche_erased", result
    assert [digest for _v, digest, _r in _versions_of(hub, "F-1")] == [""]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_push_coming_while_an_erasure_is_under_way_waits_and_answers_fiche_erased(
        hub, monkeypatch) -> None:
    _first_pushed(hub)
    record, pushing = erasure.record_erasure, []

    def record_then_push(*args, **kwargs):
        done = record(*args, **kwargs)  # keys destroyed, hashes blanked, not committed
        pushing.append(Side(lambda: accept.push_batch(hub, OWNER, [_fiche("F-1", 2)])))
        pushing[0].start()
        wait_until(done_or_waiting_for_a_lock(hub, pushing[0]), 60,
                   "the push done or waiting for the erasure")
        return done

    monkeypatch.setattr(erasure, "record_erasure", record_then_push)
    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    pushing[0].join(120)
    assert pushing[0].error is None, pushing[0].error
    result = pushing[0].answer["results"][0]
    assert result["status"] == "rejected" and result["errors"][0]["code"] == "fiche_erased", result
    assert [digest for _v, digest, _r in _versions_of(hub, "F-1")] == [""]


def test_a_duplicate_whose_version_was_erased_is_refused_not_answered_a_blank_receipt(
        hub, monkeypatch) -> None:
    """Whatever the push read first (here, as if it had read before the erasure), its
    answer never carries a receipt an erasure replaced (content hash "")."""
    first = _first_pushed(hub)
    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    held = repositories.Fiches.held

    def held_before_the_erasure(self, member_id, fiche_ids):
        found, receipts = held(self, member_id, fiche_ids)
        return {fiche_id: (pk, dataclasses.replace(
            state, erased=False, version_hashes={1: first["content_hash"]}))
            for fiche_id, (pk, state) in found.items()}, receipts

    monkeypatch.setattr(repositories.Fiches, "held", held_before_the_erasure)
    result = accept.push_batch(hub, OWNER, [_fiche("F-1", 1)])["results"][0]
    assert result["status"] == "rejected", result
    assert result["errors"][0]["code"] == "fiche_erased", result
