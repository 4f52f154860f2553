"""A fiche whose consent passed its end date is no longer a matching candidate, even
before the expiry sweep (`expire_due`) has recorded the expiry: a fiche whose consent
ended at 00:00 is not compared at 00:01. A version pushed since under a consent still in
force keeps it one. Both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.services.matching import duplicates
from tests.factories import record_consents
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    PERSON,
    fiche_of,
    hub_for,
    porteur_of,
    push,
)

pytestmark = pytest.mark.integration
ACTOR = COORDINATOR.member_id


@pytest.fixture
def world(db_url, tmp_path):
    yield from hub_for(db_url, tmp_path)


def _indexed_until(hub, clock, ends):
    """The commune's A-1 under a consent ending at `ends`, resolved before then."""
    full = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [full], expire_le=ends.isoformat())
    push(hub, COMMUNE, full, consent=False)
    return full


def _matched(hub):
    """Whether the CCI's C-1, the same woman, met A-1: linked to it or queued against it."""
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    items = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    return bool(items) or porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")


def test_a_candidate_whose_consent_ended_a_minute_ago_is_not_matched_before_the_sweep(world):
    hub, clock = world
    ends = clock.now + dt.timedelta(hours=1)
    _indexed_until(hub, clock, ends)
    clock.now = ends + dt.timedelta(minutes=1)
    assert hub.consents.due_for_expiry(clock.now)  # the sweep has not run
    assert not _matched(hub)


def test_a_candidate_whose_consent_is_still_in_force_is_matched(world):
    hub, clock = world
    ends = clock.now + dt.timedelta(hours=1)
    _indexed_until(hub, clock, ends)
    clock.now = ends - dt.timedelta(minutes=1)
    assert _matched(hub)


def test_a_version_under_a_new_consent_keeps_the_fiche_a_candidate_past_the_old_end(world):
    hub, clock = world
    ends = clock.now + dt.timedelta(hours=1)
    first = _indexed_until(hub, clock, ends)
    renewed = {**first, "version": 2, "consentement": {"reference": "CST-A-1-bis"}}
    record_consents(hub, [{**renewed, "version": 1}])
    push(hub, COMMUNE, renewed, consent=False)
    clock.now = ends + dt.timedelta(minutes=1)
    assert _matched(hub)
