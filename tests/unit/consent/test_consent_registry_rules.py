"""The registry's rules, on the in-memory fake (the SQL registry runs the same rules)."""

from __future__ import annotations

import datetime as dt

import pytest

from consent.decision import Reason
from consent.model import AckStatus, NoticeKind, Status
from hub.errors import (
    ConsentAlreadyWithdrawn,
    ConsentNotFound,
    ConsentOfAnotherPorteur,
    DuplicateConsentReference,
    FicheNotOwned,
    InvalidConsent,
    MalformedNoticeHash,
    NoticeHashMismatch,
    NoticeNotSent,
    UnknownConsentReference,
    UnknownNotice,
)


def test_recorded_consent_is_active_and_found_by_id_and_reference(registry, submission):
    consent = registry.record(submission(), "pfil-est")
    assert consent.status(registry.clock()) is Status.ACTIVE
    assert registry.get(consent.id) == consent
    assert registry.by_reference("pfil-est", "CONS-0001") == consent


def test_sending_the_same_consent_again_returns_the_first_record(registry, submission):
    first = registry.record(submission(), "pfil-est")
    assert registry.record(submission(), "pfil-est").id == first.id


def test_another_consent_under_a_used_reference_is_refused(registry, submission):
    registry.record(submission(), "pfil-est")
    with pytest.raises(DuplicateConsentReference) as caught:
        registry.record(submission(finalites=["statistiques"]), "pfil-est")
    assert caught.value.status == 409


def test_a_member_cannot_record_a_consent_for_a_fiche_it_does_not_own(registry, submission):
    with pytest.raises(FicheNotOwned) as caught:
        registry.record(submission(), "cci-sud")
    assert (caught.value.status, caught.value.code) == (403, "fiche_not_owned")


def test_malformed_notice_hash_is_refused_with_its_own_code(registry, submission):
    with pytest.raises(MalformedNoticeHash) as caught:
        registry.record(submission(notice={"version": 1, "empreinte": "ABC"}), "pfil-est")
    assert (caught.value.status, caught.value.code) == (400, "malformed_notice_hash")


def test_notice_must_be_stored_and_its_hash_must_match(registry, submission, notice):
    unknown = notice[0] % (2**31 - 1) + 1
    with pytest.raises(UnknownNotice):
        registry.record(submission(notice={"version": unknown, "empreinte": "a" * 64}), "pfil-est")
    with pytest.raises(NoticeHashMismatch):
        registry.record(submission(notice={"version": notice[0], "empreinte": "a" * 64}), "pfil-est")


def test_schema_errors_are_listed_by_path_without_values(registry, submission):
    with pytest.raises(InvalidConsent) as caught:
        registry.record(submission(mode="pigeon", finalites=[]), "pfil-est")
    body = caught.value.to_dict()
    assert body["code"] == "invalid_consent"
    assert [e["path"] for e in body["erreurs"]] == ["$.finalites", "$.mode"]
    assert "pigeon" not in str(body)


def test_consent_already_expired_or_collected_in_the_future_is_refused(
    registry, submission, clock,
):
    past = (clock.now - dt.timedelta(days=1)).isoformat()
    future = (clock.now + dt.timedelta(days=1)).isoformat()
    with pytest.raises(InvalidConsent):
        registry.record(submission(expire_le=past), "pfil-est")
    with pytest.raises(InvalidConsent):
        registry.record(submission(recueilli_le=future), "pfil-est")


def test_unknown_consent_and_unknown_reference_are_distinct_errors(registry):
    with pytest.raises(ConsentNotFound):
        registry.get("cns_nope")
    with pytest.raises(UnknownConsentReference) as caught:
        registry.consent_for_fiche("pfil-est", "F-0001", "NOPE")
    assert caught.value.status == 400


def test_a_fiche_cannot_cite_the_consent_of_another_porteur(registry, submission):
    registry.record(submission(), "pfil-est")
    assert registry.consent_for_fiche("pfil-est", "F-0001", "CONS-0001").fiche_id == "F-0001"
    with pytest.raises(ConsentOfAnotherPorteur):
        registry.consent_for_fiche("pfil-est", "F-0002", "CONS-0001")
    with pytest.raises(UnknownConsentReference):
        registry.consent_for_fiche("cci-sud", "F-0001", "CONS-0001")


def test_withdrawn_consent_stops_new_deliveries_at_once(registry, submission, clock):
    consent = registry.record(submission(), "pfil-est")
    assert registry.decide(consent.id, "bge", "accompagnement", "orientation").allowed
    registry.withdraw(consent.id, "pfil-est", clock.now)
    decision = registry.decide(consent.id, "bge", "accompagnement", "orientation")
    assert decision.reason is Reason.WITHDRAWN
    assert registry.decide_for_fiche("pfil-est", "F-0001", "CONS-0001", "bge",
                                     "accompagnement", "orientation").reason is Reason.WITHDRAWN


def test_withdrawal_keeps_the_history_and_cannot_be_repeated(registry, submission, clock):
    consent = registry.record(submission(), "pfil-est")
    withdrawn = registry.withdraw(consent.id, "bge", clock.advance(hours=1))
    assert [(c.state, c.by) for c in registry.get(consent.id).history] == [
        (Status.ACTIVE, "pfil-est"), (Status.WITHDRAWN, "bge")]
    assert withdrawn == registry.get(consent.id)
    with pytest.raises(ConsentAlreadyWithdrawn) as caught:
        registry.withdraw(consent.id, "pfil-est", clock.now)
    assert caught.value.status == 409


def test_decide_for_fiche_without_a_usable_reference_discloses_nothing(registry, submission):
    registry.record(submission(), "pfil-est")
    for fiche_id, reference in [("F-0001", None), ("F-0001", "NOPE"), ("F-0009", "CONS-0001")]:
        decision = registry.decide_for_fiche("pfil-est", fiche_id, reference, "bge",
                                             "accompagnement", "orientation")
        assert decision.reason is Reason.MISSING


def test_checks_are_served_from_the_cache_between_refreshes(registry, submission):
    consent = registry.record(submission(), "pfil-est")
    registry.decide(consent.id, "bge", "accompagnement", "orientation")
    reads = registry.version_reads
    for _ in range(100):
        registry.decide(consent.id, "bge", "accompagnement", "orientation")
    assert registry.version_reads == reads


def test_expiry_is_recorded_once_and_skips_withdrawn_consents(registry, submission, clock):
    kept = registry.record(submission(), "pfil-est")
    gone = registry.record(submission(reference="CONS-0002", fiche_id="F-0002"), "pfil-est")
    registry.withdraw(gone.id, "pfil-est", clock.now)
    clock.advance(days=366)
    assert [c.id for c in registry.expire_due(clock.now)] == [kept.id]
    assert registry.expire_due(clock.now) == []
    assert registry.get(kept.id).history[-1].state is Status.EXPIRED
    assert registry.decide(kept.id, "bge", "accompagnement", "orientation").reason \
        is Reason.EXPIRED


def test_notices_are_versioned_by_content(registry):
    first = registry.store_notice("Notice A")
    assert registry.store_notice("Notice A") == first
    second = registry.store_notice("Notice B")
    assert second[0] != first[0] and 1 <= second[0] <= 2**31 - 1
    assert registry.notice(second[0]).text == "Notice B"


def test_porteur_consents_are_those_of_its_fiches(registry, submission):
    mine = registry.record(submission(), "pfil-est")
    registry.record(submission(reference="CONS-0002", fiche_id="F-0002"), "pfil-est")
    assert registry.for_porteur([("pfil-est", "F-0001"), ("cci-sud", "X")]) == [mine]


def test_withdrawal_notices_go_pending_acknowledged_or_overdue(registry, submission, clock):
    consent = registry.record(submission(), "pfil-est")
    delay = dt.timedelta(days=30)
    registry.notice_sent(consent.id, "bge", clock.now)
    registry.notice_sent(consent.id, "cci-sud", clock.now)
    registry.notice_sent(consent.id, "bge", clock.advance(days=1))  # resent: first kept
    assert {a.status(clock.now, delay) for a in registry.acks(consent.id)} == {AckStatus.PENDING}
    registry.acknowledge(consent.id, "bge", clock.advance(days=2))
    late = clock.advance(days=30)
    assert [a.recipient_id for a in registry.overdue(late, delay)] == ["cci-sud"]
    statuses = {a.recipient_id: a.status(late, delay) for a in registry.acks(consent.id)}
    assert statuses == {"bge": AckStatus.ACKNOWLEDGED, "cci-sud": AckStatus.OVERDUE}


def test_acknowledging_a_notice_never_sent_is_refused(registry, clock):
    with pytest.raises(NoticeNotSent):
        registry.acknowledge("cns_x", "bge", clock.now, NoticeKind.ERASURE)
