"""A push writes what it must and reads back nothing it has just written: a batch of new
fiches answers its receipts from what it wrote (no read of the versions) and sets no
current version its insert already set (no update of the fiches), while the answers stay
those a replay reads back from the store. On both databases."""

from __future__ import annotations

import pytest

from hub.services.accounts.auth import Caller
from hub.services.ingest import accept as ingest
from hub.services.ingest.fiches import read_own_fiche
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.statements import one_line, statements_sent, texts

pytestmark = pytest.mark.integration

CCI = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")


def _fiches(count: int, start: int = 0, version: int = 1) -> list[dict]:
    return [make_fiche(fiche_id=f"F-{n}", version=version, porteur=other_porteur(n))
            for n in range(start, start + count)]


def test_a_batch_of_new_fiches_reads_no_version_back_and_updates_no_fiche(hub):
    fiches = _fiches(20)
    record_consents(hub, fiches)
    with statements_sent(hub.engine) as sent:
        answer = ingest.push_batch(hub, CCI, fiches)
    seen = [one_line(statement) for statement in texts(sent)]
    assert answer["accepted"] == 20
    assert [s for s in seen if s.startswith("SELECT") and "fiche_versions" in s] == []
    assert [s for s in seen if s.startswith("UPDATE fiches")] == []


def test_the_receipts_answered_are_those_a_replay_reads_back(hub):
    """New fiches, a new version of a held fiche, two versions of a new fiche in one
    batch, the same version twice: every receipt answered is the one the same fiche
    version gets when pushed again (read from the store), and every fiche's current
    version is its highest."""
    held = _fiches(1, start=100)
    record_consents(hub, held)
    ingest.push_batch(hub, CCI, held)
    fiches = [*_fiches(3), *_fiches(1, start=100, version=2), *_fiches(1, start=200),
              *_fiches(1, start=200, version=3), *_fiches(1, start=1)]
    record_consents(hub, [f for f in fiches if f["version"] == 1])
    first = ingest.push_batch(hub, CCI, fiches)["results"]
    again = ingest.push_batch(hub, CCI, fiches)["results"]
    assert [r["status"] for r in first] == ["accepted"] * 7
    assert [r["duplicate"] for r in first] == [False] * 6 + [True]
    assert [r["duplicate"] for r in again] == [True] * 7
    assert [r["receipt"] for r in first] == [r["receipt"] for r in again]
    assert all(r["receipt"]["received_at"].endswith("+00:00") for r in first)
    current = {fiche_id: read_own_fiche(hub, CCI, CCI.member_id, fiche_id)["version"]
               for fiche_id in ("F-0", "F-100", "F-200")}
    assert current == {"F-0": 1, "F-100": 2, "F-200": 3}
