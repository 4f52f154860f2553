"""Consent records: status computed at a time, history appended, never overwritten."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from capactif_demo.consent_examples import EXAMPLE_EXPIRY as EXPIRY
from capactif_demo.consent_examples import EXAMPLE_TIME as T0
from capactif_demo.consent_examples import example_record as consent
from consent.model import AckStatus, NoticeAck, NoticeKind, StateChange, Status


def test_status_is_active_then_expired_at_expiry():
    record = consent()
    assert record.status(T0) is Status.ACTIVE
    assert record.status(EXPIRY) is Status.EXPIRED


def test_withdrawal_is_a_new_history_entry_and_the_old_record_is_unchanged():
    record = consent()
    withdrawn = record.with_change(StateChange(Status.WITHDRAWN, T0, "pfil-est"))
    assert [c.state for c in record.history] == [Status.ACTIVE]
    assert [c.state for c in withdrawn.history] == [Status.ACTIVE, Status.WITHDRAWN]
    assert withdrawn.history[0] == record.history[0]


def test_status_before_a_withdrawal_is_still_active_for_history_queries():
    at = T0 + dt.timedelta(days=10)
    withdrawn = consent().with_change(StateChange(Status.WITHDRAWN, at, "pfil-est"))
    assert withdrawn.status(at - dt.timedelta(seconds=1)) is Status.ACTIVE
    assert withdrawn.status(at) is Status.WITHDRAWN


def test_document_shows_status_and_history_in_french():
    document = consent(members=("bge",)).as_document(EXPIRY)
    assert document["statut"] == "expired"
    assert document["historique"] == [{"etat": "active", "le": "2026-03-02T09:30:00Z",
                                       "par": "pfil-est"}]
    assert document["membres_destinataires"] == ["bge"]


@given(withdraw_after=st.integers(min_value=0, max_value=400),
       look_at=st.integers(min_value=0, max_value=400))
def test_withdrawal_dated_before_the_query_time_always_wins_over_expiry(withdraw_after, look_at):
    withdrawn_at = T0 + dt.timedelta(days=withdraw_after)
    record = consent().with_change(StateChange(Status.WITHDRAWN, withdrawn_at, "pfil-est"))
    at = T0 + dt.timedelta(days=look_at)
    expected = Status.EXPIRED if at >= EXPIRY else Status.ACTIVE
    if withdrawn_at <= at:
        expected = Status.WITHDRAWN
    assert record.status(at) is expected


def test_notice_ack_is_pending_then_overdue_unless_acknowledged():
    delay = dt.timedelta(days=30)
    ack = NoticeAck(NoticeKind.WITHDRAWAL, "cns_1", "bge", T0)
    assert ack.status(T0 + dt.timedelta(days=29), delay) is AckStatus.PENDING
    assert ack.status(T0 + delay, delay) is AckStatus.OVERDUE
    done = NoticeAck(NoticeKind.WITHDRAWAL, "cns_1", "bge", T0, T0 + dt.timedelta(days=40))
    assert done.status(T0 + dt.timedelta(days=99), delay) is AckStatus.ACKNOWLEDGED
