"""An erased fiche leaves no digest of its content: each version's content hash (SHA-256
of the whole fiche, unkeyed) and its receipt id (derived from it) stayed in the store
after the erasure, so that whoever held a copy of it, and a guess of the fiche (a former
recipient's copy, the member's own export), could learn that it had been pushed. Nor
does it leave its statistics: each version's projection for the network's statistics
(the financing amounts to the euro, the situation, the NAF code, the project's commune)
stayed in clear beside the fiche's member, id and porteur id, pseudonymous data about
one person in every copy of the store, though the network's indicators never read it
(they count the coordination's index, which the erasure empties of the porteur)
(docs/privacy.md, "What an erased fiche leaves"). Both stores."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from alembic import command

from hub.services.ingest import processing
from hub.store.migrate import alembic_config, upgrade
from hub.store.tables import fiche_versions
from tests import forensics
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.contract_world import NETWORK, OWNER

pytestmark = pytest.mark.integration


def _pushed(contract, fiche_id: str = "F-1", version: int = 1, porteur: int | None = None) -> dict:
    fiche = make_fiche(member=OWNER, fiche_id=fiche_id, version=version,
                       **({} if porteur is None else {"porteur": other_porteur(porteur)}))
    if version == 1:
        record_consents(contract.hub, [fiche])
    answer = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]}).json()
    assert answer["accepted"] == 1, answer
    return answer["results"][0]["receipt"]


def _erase(contract, how: str) -> None:
    if how == "coordination":
        for outbox_ids in contract.hub.publisher.published:
            processing.process_outbox(contract.hub, outbox_ids)
        with contract.hub.uow() as uow:
            porteur_id = uow.fiches.porteur_of(OWNER, "F-1").porteur_id
        response = contract.call(NETWORK, "POST", "/v1/erasures", {"porteur_id": porteur_id})
    elif how == "member":
        response = contract.call(OWNER, "POST", "/v1/erasures", {"fiche_id": "F-1"})
    else:
        response = contract.call(OWNER, "DELETE", f"/v1/fiches/{OWNER}/F-1")
    assert response.status_code in (200, 201), response.text


def _secrets_of(receipts: list[dict]) -> list[str]:
    """What a guess of the fiche would be checked against: its hash, its receipt's digits."""
    return [text for r in receipts for text in (r["content_hash"], r["receipt_id"][4:])]


def _store_texts(contract) -> str:
    with contract.hub.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT content_hash, receipt_id FROM fiche_versions").all()
    return "\n".join(f"{digest} {receipt}" for digest, receipt in rows)


@pytest.mark.parametrize("how", ["member", "removal", "coordination"])
def test_an_erased_fiche_leaves_no_digest_a_guess_of_it_could_be_checked_against(contract, how):
    receipts = [_pushed(contract), _pushed(contract, version=2)]
    kept = _pushed(contract, fiche_id="F-2", porteur=1)  # another porteur's stays as it was
    _erase(contract, how)
    texts = _store_texts(contract)
    assert not [secret for secret in _secrets_of(receipts) if secret in texts]
    assert kept["content_hash"] in texts and kept["receipt_id"] in texts
    # On SQLite (secure_delete, WAL truncated) the replaced values leave the files too;
    # PostgreSQL keeps them in free page space and WAL segments until overwritten
    # (docs/privacy.md, "Limits").
    if contract.hub.engine.dialect.name == "sqlite":
        files, _wal = forensics.store_bytes(contract.hub, None)
        assert not [s for s in _secrets_of(receipts) if s.encode() in files]


def test_the_migration_forgets_the_digests_erasures_kept_before(contract):
    receipt = _pushed(contract)
    _erase(contract, "member")
    with contract.hub.engine.begin() as conn:  # as an erasure before this rule left it
        conn.execute(sa.text("UPDATE fiche_versions SET content_hash = :digest, receipt_id = :id"),
                     {"digest": receipt["content_hash"], "id": receipt["receipt_id"]})
    url = contract.hub.settings.database_url.reveal()
    contract.hub.engine.dispose()
    command.downgrade(alembic_config(url), "0036")
    upgrade(url)
    assert not [s for s in _secrets_of([receipt]) if s in _store_texts(contract)]


def _erased_receipt_ids(contract) -> dict[int, str]:
    with contract.hub.engine.connect() as conn:
        return dict(conn.exec_driver_sql(
            "SELECT id, receipt_id FROM fiche_versions WHERE content_hash = ''").all())


@pytest.mark.parametrize("how", ["member", "removal", "coordination"])
def test_a_replaced_receipt_id_is_random_and_not_prefixed_as_an_erasure(contract, how):
    """`eff_` named both the erasures (eff_ + 24 hex) and the replaced receipts, whose
    `eff_<row id>` also told the hub-wide count of versions pushed before."""
    _pushed(contract), _pushed(contract, version=2)
    _erase(contract, how)
    replaced = _erased_receipt_ids(contract)
    assert len(replaced) == 2
    assert all(re.fullmatch(r"rcx_[0-9a-f]{32}", r) for r in replaced.values()), replaced
    assert len(set(replaced.values())) == 2


def test_the_migration_replaces_the_receipt_ids_erasures_numbered_before(contract):
    _pushed(contract), _pushed(contract, version=2)
    _erase(contract, "member")
    with contract.hub.engine.begin() as conn:  # as an erasure before this rule left them
        conn.execute(sa.text("UPDATE fiche_versions SET receipt_id = 'eff_' || CAST(id AS VARCHAR)"
                             " WHERE content_hash = ''"))
    url = contract.hub.settings.database_url.reveal()
    contract.hub.engine.dispose()
    command.downgrade(alembic_config(url), "0039")
    upgrade(url)
    replaced = _erased_receipt_ids(contract)
    assert len(replaced) == 2
    assert all(re.fullmatch(r"rcx_[0-9a-f]{32}", r) for r in replaced.values()), replaced


def _financed(contract, version: int = 1) -> None:
    """F-1, with amounts no other fiche of the test has."""
    fiche = make_fiche(member=OWNER, fiche_id="F-1", version=version, financement={
        "besoin_total": 48713 + version, "apport": 3917, "pret_honneur": 12345})
    if version == 1:
        record_consents(contract.hub, [fiche])
    answer = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]}).json()
    assert answer["accepted"] == 1, answer


def _statistics(contract) -> list[list[str | None]]:
    """Each fiche's versions' statistics as stored (JSON text), fiches in push order."""
    found: dict[int, list[str | None]] = {}
    with contract.hub.engine.connect() as conn:
        for fiche_pk, text in conn.exec_driver_sql(
                "SELECT fiche_pk, CAST(statistics AS TEXT) FROM fiche_versions ORDER BY id"):
            found.setdefault(fiche_pk, []).append(text)
    return [found[pk] for pk in sorted(found)]


@pytest.mark.parametrize("how", ["member", "removal", "coordination"])
def test_an_erased_fiche_leaves_no_statistics_beside_its_ids(contract, how):
    _financed(contract), _financed(contract, version=2)
    _pushed(contract, fiche_id="F-2", porteur=1)  # another porteur's stays as it was
    erased, other = _statistics(contract)
    assert [t is not None and "4871" in t for t in erased] == [True, True] and other[0]
    sqlite = contract.hub.engine.dialect.name == "sqlite"
    if sqlite:  # the files hold them (the check below can fail)
        assert [t for t in erased if t.encode() in forensics.store_bytes(contract.hub, None)[0]]
    _erase(contract, how)
    assert _statistics(contract) == [[None, None], other]
    if sqlite:  # secure_delete, WAL truncated
        files, _wal = forensics.store_bytes(contract.hub, None)
        assert not [t for t in erased if t is not None and t.encode() in files]


def test_the_migration_forgets_the_statistics_erasures_kept_before(contract):
    _financed(contract)
    [[kept]] = _statistics(contract)
    assert kept is not None
    _erase(contract, "member")
    with contract.hub.engine.begin() as conn:  # as an erasure before this rule left it
        conn.execute(sa.update(fiche_versions).values(statistics=json.loads(kept)))
    [[restored]] = _statistics(contract)
    assert restored is not None and json.loads(restored) == json.loads(kept)
    url = contract.hub.settings.database_url.reveal()
    contract.hub.engine.dispose()
    command.downgrade(alembic_config(url), "0057")
    upgrade(url)
    assert _statistics(contract) == [[None]]
