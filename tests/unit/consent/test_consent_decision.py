"""may_receive: the one answer to "may this member receive this porteur's data now?"."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from capactif_demo.consent_examples import EXAMPLE_EXPIRY, EXAMPLE_TIME, example_record
from consent.decision import Reason, may_receive, usable
from consent.model import PURPOSES, ROLES, Scope, StateChange, Status, scope

T0, EXPIRY = EXAMPLE_TIME, EXAMPLE_EXPIRY
consent = example_record


def test_no_consent_means_nothing_is_shared():
    decision = may_receive(None, "bge", "accompagnement", "orientation", T0)
    assert (decision.allowed, decision.reason) == (False, Reason.MISSING)
    assert decision.code == "consent_missing"


def test_covering_consent_allows_the_recipient():
    decision = may_receive(consent(), "bge", "accompagnement", "orientation", T0)
    assert decision.allowed and decision.code == "consent_covers"


def test_expired_consent_refuses_from_its_expiry_on():
    just_before = EXPIRY - dt.timedelta(microseconds=1)
    assert may_receive(consent(), "bge", "accompagnement", "orientation", just_before).allowed
    assert may_receive(consent(), "bge", "accompagnement", "orientation", EXPIRY).reason \
        is Reason.EXPIRED


def test_recorded_withdrawal_refuses_even_if_the_reader_clock_lags():
    later = T0 + dt.timedelta(hours=1)
    withdrawn = consent(history=(StateChange(Status.WITHDRAWN, later, "pfil-est"),))
    decision = may_receive(withdrawn, "bge", "accompagnement", "orientation", T0)
    assert decision.reason is Reason.WITHDRAWN


def test_purpose_role_and_named_member_are_each_checked():
    named = consent(members=("bge-nord",))
    assert may_receive(consent(), "bge", "accompagnement", "financement", T0).reason \
        is Reason.PURPOSE
    assert may_receive(consent(), "cci", "accueil", "orientation", T0).reason is Reason.ROLE
    assert may_receive(named, "bge-sud", "accompagnement", "orientation", T0).reason \
        is Reason.MEMBER
    assert may_receive(named, "bge-nord", "accompagnement", "orientation", T0).allowed


def test_every_reason_has_french_and_english_messages():
    for reason in Reason:
        decision = may_receive(None, "x", "accueil", "orientation", T0)
        decision = type(decision)(False, reason)
        assert decision.message_fr and decision.message_en


def test_usable_ignores_the_recipient_but_not_the_purpose():
    assert usable(consent(), T0).allowed
    assert usable(consent(), T0, "statistiques").reason is Reason.PURPOSE
    assert usable(None, T0).reason is Reason.MISSING


def test_scope_gives_the_projection_purposes_roles_and_named_members():
    assert scope(consent(members=("bge-nord",))) == Scope(
        frozenset({"orientation"}), frozenset({"accompagnement"}), frozenset({"bge-nord"}))


subsets = st.frozensets
members = st.sampled_from(["bge", "cci-sud", "pfil-est", "adie"])


@given(purposes=subsets(st.sampled_from(sorted(PURPOSES)), min_size=1),
       roles=subsets(st.sampled_from(sorted(ROLES)), min_size=1),
       named=subsets(members), purpose=st.sampled_from(sorted(PURPOSES)),
       role=st.sampled_from(sorted(ROLES)), recipient=members,
       offset_days=st.integers(min_value=-10, max_value=800), withdrawn=st.booleans())
def test_allowed_exactly_when_current_and_purpose_role_and_member_are_covered(
    purposes, roles, named, purpose, role, recipient, offset_days, withdrawn,
):
    history = (StateChange(Status.WITHDRAWN, T0, "pfil-est"),) if withdrawn else ()
    record = consent(purposes, roles, named, history)
    now = T0 + dt.timedelta(days=offset_days)
    expected = (not withdrawn and now < EXPIRY and purpose in purposes and role in roles
                and (not named or recipient in named))
    decision = may_receive(record, recipient, role, purpose, now)
    assert decision.allowed is expected
    assert (decision.reason is Reason.COVERED) is expected
