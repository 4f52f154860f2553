"""Proof that nothing leaks: random fiches with a marker in every field, random roles,
purposes and consents; no projected document holds a marker of a field outside the
allowed set, and every allowed marker present in the fiche is disclosed."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.projection import allowed_fields, changed_fields, project

from .conftest import SHIPPED_POLICY
from .strategies import consent_scopes, marked_fiches, members, path_sets, purposes, roles

PROPERTY = settings(max_examples=150, deadline=None)
NOTES = "accompagnement[].notes"


def assert_exact_disclosure(fiche, markers, allowed):
    serialised = json.dumps(project(fiche, allowed), ensure_ascii=False)
    for path, values in markers.items():
        for value in values:
            if path in allowed:
                assert value in serialised, f"allowed {path} was not disclosed"
            else:
                assert value not in serialised, f"forbidden {path} leaked"


@PROPERTY
@given(marked_fiches(), path_sets)
def test_projection_discloses_exactly_the_allowed_fields(drawn, allowed):
    fiche, markers = drawn
    assert_exact_disclosure(fiche, markers, allowed)


@PROPERTY
@given(marked_fiches(), roles, purposes, consent_scopes, st.booleans(), members)
def test_no_recipient_ever_sees_a_field_outside_policy_and_consent(
    drawn, role, purpose, scope, is_referent, member
):
    fiche, markers = drawn
    allowed = allowed_fields(SHIPPED_POLICY, role, purpose, scope, is_referent, member=member)
    assert allowed.paths <= SHIPPED_POLICY.role_policy(role, purpose).allowed(is_referent)
    assert not allowed.paths & SHIPPED_POLICY.paths_of(scope.excluded_categories)
    if not scope.covers(role, purpose, member):
        assert allowed.empty
    if not is_referent:
        assert NOTES not in allowed.paths
    assert_exact_disclosure(fiche, markers, allowed.paths)


@PROPERTY
@given(marked_fiches(), marked_fiches(), path_sets)
def test_changed_fields_never_name_a_field_outside_the_allowed_set(old, new, allowed):
    changed = changed_fields(old[0], new[0], allowed)
    assert set(changed) <= allowed
    assert changed == sorted(changed)


@PROPERTY
@given(marked_fiches(), path_sets)
def test_projection_is_idempotent(drawn, allowed):
    once = project(drawn[0], allowed)
    assert project(once, allowed) == once
