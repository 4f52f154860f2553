"""The SQL consent registry on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consent.decision import Reason
from consent.model import AckStatus, NoticeKind, Status
from consent.receipts import build_receipt, sign_receipt, verify_receipt
from consent.sql import SqlConsentRegistry
from consent.tables import define_tables
from hub.errors import (
    ConsentAlreadyWithdrawn,
    ConsentNotFound,
    ConsentOfAnotherPorteur,
    DuplicateConsentReference,
    NoticeHashMismatch,
    NoticeNotSent,
    NoticeVersionUnavailable,
    UnknownConsentReference,
)
from tests.integration.statements import statements_sent

pytestmark = pytest.mark.integration
TABLES = define_tables(sa.MetaData())


def rows(engine, table):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table)).mappings()]


def test_recorded_consent_reads_back_identical(sql_registry, submission):
    consent = sql_registry.record(submission(membres_destinataires=["bge"]), "pfil-est")
    assert sql_registry.get(consent.id) == consent
    assert sql_registry.by_reference("pfil-est", "CONS-0001") == consent
    assert sql_registry.record(submission(membres_destinataires=["bge"]), "pfil-est") == consent


def test_bad_input_gives_distinct_errors(sql_registry, submission):
    sql_registry.record(submission(), "pfil-est")
    with pytest.raises(DuplicateConsentReference):
        sql_registry.record(submission(mode="courriel"), "pfil-est")
    with pytest.raises(NoticeHashMismatch):
        stored = submission()["notice"]["version"]
        sql_registry.record(submission(notice={"version": stored, "empreinte": "f" * 64}), "pfil-est")
    with pytest.raises(ConsentNotFound):
        sql_registry.get("cns_unknown")
    with pytest.raises(UnknownConsentReference):
        sql_registry.consent_for_fiche("pfil-est", "F-0001", "NOPE")
    with pytest.raises(ConsentOfAnotherPorteur):
        sql_registry.consent_for_fiche("pfil-est", "F-0002", "CONS-0001")


def test_history_is_never_overwritten(db_engine, sql_registry, submission, clock):
    consent = sql_registry.record(submission(), "pfil-est")
    before = rows(db_engine, TABLES.consents)
    sql_registry.withdraw(consent.id, "bge", clock.advance(hours=2))
    with pytest.raises(ConsentAlreadyWithdrawn):
        sql_registry.withdraw(consent.id, "pfil-est", clock.advance(hours=1))
    assert rows(db_engine, TABLES.consents) == before
    states = rows(db_engine, TABLES.states)
    assert [(s["state"], s["by_member"]) for s in states] == [
        ("active", "pfil-est"), ("withdrawn", "bge")]
    history = sql_registry.get(consent.id).history
    assert [c.state for c in history] == [Status.ACTIVE, Status.WITHDRAWN]


def test_withdrawal_stops_cached_checks_at_once(sql_registry, submission, clock):
    consent = sql_registry.record(submission(), "pfil-est")
    for _ in range(3):
        assert sql_registry.decide(consent.id, "bge", "accompagnement", "orientation").allowed
    sql_registry.withdraw(consent.id, "pfil-est", clock.now)
    decision = sql_registry.decide(consent.id, "bge", "accompagnement", "orientation")
    assert decision.reason is Reason.WITHDRAWN


def test_withdrawal_in_another_process_reaches_this_one_through_the_change_counter(
    db_engine, sql_registry, submission, clock,
):
    consent = sql_registry.record(submission(), "pfil-est")
    worker = SqlConsentRegistry(db_engine, clock, refresh_every=0.0)
    assert worker.decide(consent.id, "bge", "accompagnement", "orientation").allowed
    sql_registry.withdraw(consent.id, "pfil-est", clock.now)
    assert worker.decide(consent.id, "bge", "accompagnement", "orientation").reason \
        is Reason.WITHDRAWN


def test_expiry_is_applied_once_and_stops_deliveries(sql_registry, submission, clock):
    consent = sql_registry.record(submission(), "pfil-est")
    other = sql_registry.record(submission(reference="CONS-0002", fiche_id="F-0002"),
                                "pfil-est")
    sql_registry.withdraw(other.id, "pfil-est", clock.now)
    assert sql_registry.expire_due(clock.advance(days=364)) == []
    expired = sql_registry.expire_due(clock.advance(days=2))
    assert [c.id for c in expired] == [consent.id]
    assert sql_registry.expire_due(clock.now) == []
    assert sql_registry.get(consent.id).history[-1].state is Status.EXPIRED
    assert sql_registry.decide(consent.id, "bge", "accompagnement", "orientation").reason \
        is Reason.EXPIRED


def test_acknowledgements_go_pending_acknowledged_overdue(sql_registry, submission, clock):
    consent = sql_registry.record(submission(), "pfil-est")
    delay = dt.timedelta(days=15)
    for recipient in ("bge", "cci-sud"):
        sql_registry.notice_sent(consent.id, recipient, clock.now)
    assert sql_registry.notice_sent(consent.id, "bge", clock.advance(days=1)).sent_at \
        == clock.now - dt.timedelta(days=1)
    assert {a.status(clock.now, delay) for a in sql_registry.acks(consent.id)} \
        == {AckStatus.PENDING}
    acked = sql_registry.acknowledge(consent.id, "bge", clock.advance(days=1))
    assert acked.status(clock.now, delay) is AckStatus.ACKNOWLEDGED
    assert sql_registry.acknowledge(consent.id, "bge", clock.advance(days=1)) == acked
    late = clock.advance(days=20)
    assert [a.recipient_id for a in sql_registry.overdue(late, delay)] == ["cci-sud"]
    with pytest.raises(NoticeNotSent):
        sql_registry.acknowledge(consent.id, "adie", late)
    sql_registry.notice_sent("por_1", "bge", late, NoticeKind.ERASURE)
    assert [a.kind for a in sql_registry.acks("por_1")] == [NoticeKind.ERASURE]


def test_the_acknowledgements_of_a_page_of_consents_are_read_together(sql_registry, submission,
                                                                      clock):
    first, second, silent = (sql_registry.record(submission(reference=f"CST-{n}"), "pfil-est")
                             for n in range(3))
    for consent, recipients in ((first, ("bge", "cci-sud")), (second, ("adie",))):
        for recipient in recipients:
            sql_registry.notice_sent(consent.id, recipient, clock.now)
    sql_registry.acknowledge(first.id, "cci-sud", clock.advance(days=1))
    together = sql_registry.acks_of([first.id, second.id, silent.id])
    assert together == {c.id: sql_registry.acks(c.id) for c in (first, second, silent)}
    assert [len(together[c.id]) for c in (first, second, silent)] == [2, 1, 0]
    assert sql_registry.acks_of([]) == {}


def test_notices_are_versioned_and_stored_verbatim(sql_registry):
    first = sql_registry.store_notice("Notice A — été")
    assert sql_registry.store_notice("Notice A — été") == first
    second = sql_registry.store_notice("Notice B")
    assert second[0] != first[0] and 1 <= second[0] <= 2**31 - 1
    assert sql_registry.notice(first[0]).text == "Notice A — été"


def test_porteur_consents_come_from_all_its_fiches(sql_registry, submission):
    mine = sql_registry.record(submission(), "pfil-est")
    sql_registry.record(submission(reference="CONS-0002", fiche_id="F-0002"), "pfil-est")
    assert sql_registry.for_porteur([("pfil-est", "F-0001"), ("cci-sud", "F-0001")]) == [mine]
    assert sql_registry.for_porteur([]) == []


def test_receipt_of_a_stored_consent_verifies_and_a_tampered_one_fails(
    sql_registry, submission, clock,
):
    key = Ed25519PrivateKey.generate()
    consent = sql_registry.record(submission(), "pfil-est")
    document = sql_registry.get(consent.id).as_document(clock.now)
    signed = sign_receipt(build_receipt(document, clock.now), key, "hub")
    assert verify_receipt(signed, {"hub": key.public_key()})
    assert not verify_receipt({**signed, "expire_le": "2099-01-01T00:00:00Z"},
                              {"hub": key.public_key()})


def test_racing_recorders_of_one_reference_end_with_one_record(
    db_engine, sql_registry, submission,
):
    first = sql_registry.record(submission(), "pfil-est")
    # A second process that checked before the first insert committed, then inserts:
    late_copy = SqlConsentRegistry(db_engine)._add(dataclasses.replace(first, id="cns_other"))
    assert late_copy == first
    with pytest.raises(ConsentNotFound):
        sql_registry.get("cns_other")


def test_notice_versions_drawn_taken_every_time_are_a_503_to_retry(sql_registry, monkeypatch):
    """Five draws in a row on taken versions (as good as never at random over 2^31) were a
    bare RuntimeError, a 500: now the store's 503, to retry, in the hub's error tree."""
    first = sql_registry.store_notice("Notice A")
    monkeypatch.setattr("consent.sql.new_version", lambda: first[0])
    with pytest.raises(NoticeVersionUnavailable) as refused:
        sql_registry.store_notice("Notice B")
    assert refused.value.status == 503 and refused.value.headers["Retry-After"]
    assert sql_registry.store_notice("Notice A") == first  # a stored text is still answered


def test_a_members_consents_are_found_by_reference_past_five_hundred(sql_registry, submission):
    """The worker's read of a transaction's cited consents: every known reference of the
    member, none of another member's, whatever their count (SQLite reads them by pages of
    five hundred)."""
    recorded = {sql_registry.record(submission(reference=f"CONS-{n:04d}", fiche_id=f"F-{n:04d}"),
                                    "pfil-est").reference for n in range(520)}
    sql_registry.record(submission(reference="CONS-9999", fiche_id="F-9999", membre="cci-sud"),
                        "cci-sud")
    asked = [*sorted(recorded), "CONS-9999", "INCONNUE"]
    found = sql_registry.of_references("pfil-est", asked)
    assert set(found) == recorded and all(found[r].reference == r for r in found)
    assert sql_registry.of_references("pfil-est", []) == {}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite binds plain values
def test_a_batch_s_consents_are_read_with_arrays_written_as_text(db_engine, sql_registry,
                                                                 submission):
    """PostgreSQL: the fiches, references and consent ids of a batch travel as arrays in
    their text form (one join), not as lists the driver walks item by item, nor one
    placeholder an item."""
    for n in range(3):
        sql_registry.record(submission(reference=f"CONS-{n:04d}", fiche_id=f"F-{n:04d}"),
                            "pfil-est")
    with statements_sent(db_engine) as statements:
        assert len(sql_registry.of_references("pfil-est", ["CONS-0000", "CONS-0001"])) == 2
        assert len(sql_registry.for_porteur([("pfil-est", "F-0001"),
                                             ("pfil-est", "F-0002")])) == 2
    sent = [value for _statement, parameters in statements
            for value in (parameters.values() if isinstance(parameters, dict) else parameters)]
    assert sent and not any(isinstance(value, list) for value in sent)
    assert "CONS-0000" not in sent and "F-0001" not in sent  # no item a parameter of its own
    assert '{"CONS-0000","CONS-0001"}' in sent and '{"F-0001","F-0002"}' in sent
