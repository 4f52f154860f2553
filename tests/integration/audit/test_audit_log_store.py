"""The access log on both databases: batched appends, heads, proofs, search, export, and
tampering with the store caught by the offline verifier, which names the first bad seq."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit.events import AccessEvent, pseudonymise
from hub.audit.heads import HeadSigner, countersign
from hub.audit.log import AuditLog
from hub.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from hub.audit.verify import verify_lines
from hub.errors import AuditIntegrityError
from hub.store.schema import metadata

pytestmark = pytest.mark.integration

KEY = b"s" * 32
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SIGNER = HeadSigner(Ed25519PrivateKey.generate())


def an_event(number: int) -> AccessEvent:
    return AccessEvent(
        at=START + timedelta(minutes=number), actor_member=f"membre-{number % 3}",
        action="feed_pull" if number % 2 else "porteur_view", outcome="allowed",
        actor_user="agent-1", porteur_ref=pseudonymise(f"P-{number % 4}", KEY),
        fiche_refs=(pseudonymise(f"cci/F-{number}", KEY),), fields=("projet.intitule",),
        purpose="accompagnement", policy_version="v1", request_id=f"req-{number}",
    )


def filled_log(engine: sa.Engine) -> AuditLog:
    """22 entries, heads at sizes 5, 10 and 20 (two entries after the last head)."""
    log = AuditLog(engine)
    number = 0
    for batch in (5, 5, 10, 2):
        log.append_many([an_event(number + i) for i in range(batch)])
        number += batch
        if number <= 20:
            log.publish_head(SIGNER)
    return log


def exported(log: AuditLog):  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    log.export(stream)
    return verify_lines(stream.getvalue().splitlines(), SIGNER.public_key)


def test_appended_events_get_contiguous_seqs_from_zero(db_engine: sa.Engine) -> None:
    log = AuditLog(db_engine)
    first = log.append_many([an_event(i) for i in range(3)])
    second = log.append_many([an_event(i) for i in range(3, 5)])
    assert [e.seq for e in first + second] == [0, 1, 2, 3, 4]
    assert log.size == 5


def test_stored_events_read_back_exactly_as_appended(db_engine: sa.Engine) -> None:
    log = AuditLog(db_engine)
    appended = log.append_many([an_event(i) for i in range(4)])
    assert log.search() == appended


def test_a_period_given_in_another_timezone_is_compared_in_utc(db_engine: sa.Engine) -> None:
    log = filled_log(db_engine)
    paris = timezone(timedelta(hours=1))
    since = (START + timedelta(minutes=20)).astimezone(paris)
    assert [e.seq for e in log.search(since=since)] == [20, 21]


def test_a_restarted_log_rebuilds_the_same_tree_from_stored_leaf_hashes(
    db_engine: sa.Engine,
) -> None:
    log = filled_log(db_engine)
    restarted = AuditLog(db_engine)
    assert restarted.size == 0  # built without touching the store
    restarted.refresh()
    assert restarted.size == 22
    assert restarted.inclusion_proof(3, 20) == log.inclusion_proof(3, 20)
    head = restarted.publish_head(SIGNER)
    assert head.size == 22


def test_a_head_published_after_a_crash_covers_every_stored_entry(db_engine: sa.Engine) -> None:
    AuditLog(db_engine).append_many([an_event(i) for i in range(7)])  # then the process dies
    head = AuditLog(db_engine).publish_head(SIGNER)
    assert head.size == 7


def test_entries_appended_by_another_process_are_covered_by_the_next_head(
    db_engine: sa.Engine,
) -> None:
    mine, theirs = AuditLog(db_engine), AuditLog(db_engine)
    mine.append_many([an_event(0)])
    theirs.append_many([an_event(1), an_event(2)])
    assert mine.publish_head(SIGNER).size == 3


def test_publishing_twice_without_new_entries_returns_the_same_head(db_engine: sa.Engine) -> None:
    log = filled_log(db_engine)
    first = log.publish_head(SIGNER)
    assert log.publish_head(SIGNER) == first
    assert log.publish_head(SIGNER, force=True).size == first.size


def test_proofs_verify_against_the_signed_heads(db_engine: sa.Engine) -> None:
    log = filled_log(db_engine)
    heads = {head.size: head for head in log.heads()}
    entry = log.search(porteur_ref=pseudonymise("P-3", KEY))[0]
    proof = log.inclusion_proof(entry.seq or 0, 10)
    assert verify_inclusion(entry.seq or 0, 10, leaf_hash(entry.canonical()), proof,
                            heads[10].root_hash)
    consistency = log.consistency_proof(5, 20)
    assert verify_consistency(5, 20, consistency, heads[5].root_hash, heads[20].root_hash)


def test_search_filters_by_porteur_member_action_and_period(db_engine: sa.Engine) -> None:
    log = filled_log(db_engine)
    porteur = pseudonymise("P-1", KEY)
    assert [e.seq for e in log.search(porteur_ref=porteur)] == [1, 5, 9, 13, 17, 21]
    found = log.search(member="membre-0", action="porteur_view",
                       since=START + timedelta(minutes=5), until=START + timedelta(minutes=13))
    assert [e.seq for e in found] == [6, 12]
    assert all(e.at.tzinfo == UTC for e in found)


def test_an_untouched_export_verifies_offline_with_witness_countersignatures(
    db_engine: sa.Engine,
) -> None:
    log = filled_log(db_engine)
    witness = Ed25519PrivateKey.generate()
    head = log.latest_head()
    assert head is not None
    log.add_cosignature(head, countersign(head, "dpo-pnr", witness), witness.public_key())
    stream = io.StringIO()
    log.export(stream, head.size)  # the two entries after the last head stay out
    lines = stream.getvalue().splitlines()
    report = verify_lines(lines, SIGNER.public_key, {"dpo-pnr": witness.public_key()})
    assert report.ok, report.render()
    assert report.entries == 20 and report.verified_size == 20


def test_an_updated_entry_is_named(db_engine: sa.Engine) -> None:
    log = filled_log(db_engine)
    with db_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_entries SET action = 'search' WHERE seq = 7")
    report = exported(log)
    assert not report.ok and report.first_bad_seq == 7


def test_an_updated_entry_with_a_recomputed_leaf_hash_is_caught_by_the_signed_root(
    db_engine: sa.Engine,
) -> None:
    log = filled_log(db_engine)
    salt = log.by_seqs([7])[0].salt  # the forger reads the store
    forged = AccessEvent(**{**an_event(7).__dict__, "action": "search", "seq": 7, "salt": salt})
    with db_engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_entries SET action = 'search', leaf_hash = :leaf WHERE seq = 7"),
            {"leaf": leaf_hash(forged.canonical())},
        )
    report = exported(log)
    assert not report.ok and report.first_bad_seq == 5  # the last head that verifies covers 5


def test_a_deleted_entry_is_named(db_engine: sa.Engine) -> None:
    log = filled_log(db_engine)
    with db_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_entries WHERE seq = 12")
    report = exported(AuditLog(db_engine))
    assert not report.ok and report.first_bad_seq == 12
    assert log.size == 22


def test_two_swapped_entries_are_named(db_engine: sa.Engine) -> None:
    filled_log(db_engine)
    with db_engine.begin() as conn:
        for old, new in ((3, -1), (4, 3), (-1, 4)):
            conn.execute(sa.text("UPDATE audit_entries SET seq = :new WHERE seq = :old"),
                         {"old": old, "new": new})
    report = exported(AuditLog(db_engine))
    assert not report.ok and report.first_bad_seq == 3


def test_an_inserted_entry_is_named(db_engine: sa.Engine) -> None:
    filled_log(db_engine)
    with db_engine.begin() as conn:
        for seq in range(21, 7, -1):
            conn.execute(sa.text("UPDATE audit_entries SET seq = :new WHERE seq = :old"),
                         {"old": seq, "new": seq + 1})
        conn.execute(sa.text(
            "INSERT INTO audit_entries (seq, at, actor_member, actor_user, action, porteur_ref,"
            " fiche_refs, fields, purpose, policy_version, outcome, request_id, leaf_hash)"
            " SELECT 8, at, 'intrus', actor_user, action, porteur_ref, fiche_refs, fields,"
            " purpose, policy_version, outcome, request_id, leaf_hash"
            " FROM audit_entries WHERE seq = 9"
        ))
    report = exported(AuditLog(db_engine))
    assert not report.ok and report.first_bad_seq == 8


def test_the_hub_refuses_to_sign_over_a_tampered_store(db_engine: sa.Engine) -> None:
    filled_log(db_engine)
    with db_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_entries WHERE seq = 2")
    with pytest.raises(AuditIntegrityError):
        AuditLog(db_engine).publish_head(SIGNER, force=True)


def test_the_migration_creates_exactly_the_declared_audit_tables(db_engine: sa.Engine) -> None:
    with db_engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in differences if "audit_" in repr(d)] == []
