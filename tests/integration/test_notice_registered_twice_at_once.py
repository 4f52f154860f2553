"""The same notice registered by two requests at once: one creates it, the other is
answered as a resend (created False, 200), never a second 201.

Stepped: the second request's look-up runs before the first one's insert (it finds
nothing), its insert then meets the stored notice, which it answers."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

NOTICE = {"texte": "Vos données servent à vous orienter.", "langue": "fr",
          "finalites": ["orientation", "accompagnement"]}
MEMBER = "cci-puy-de-dome"


def test_the_request_that_finds_the_notice_stored_meanwhile_did_not_create_it(hub, monkeypatch):
    registry = hub.consents
    looked_up = registry._notice_by_hash
    steps: list[str] = []

    def before_the_other_insert(sha256, member_id):
        if not steps:  # the look-up of the request that loses: the winner has not inserted yet
            steps.append("looked up")
            _, created = registry.register_notice(dict(NOTICE), MEMBER)
            steps.append("other inserted")
            assert created
            return None
        return looked_up(sha256, member_id)

    monkeypatch.setattr(registry, "_notice_by_hash", before_the_other_insert)
    lost, created = registry.register_notice(dict(NOTICE), MEMBER)
    assert steps == ["looked up", "other inserted"]
    assert created is False
    assert lost == looked_up(lost.sha256, MEMBER)
