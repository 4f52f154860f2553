"""A fiche whose consent passed its end date is no longer a matching candidate, even
before the expiry sweep (`expire_due`) has recorded the expiry: a fiche whose consent
ended at 00:00 is not compared at 00:01. A version pushed since under a consent still in
force keeps it one. Both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from consent.api import usable
from hub.services.matching import duplicates
from tests.factories import record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    PERSON,
    fiche_of,
    porteur_of,
    push,
    world_in_process,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration


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


@pytest.mark.parametrize("after_end", [
    dt.timedelta(microseconds=-1), dt.timedelta(0), dt.timedelta(microseconds=1)],
    ids=["just_before", "at", "just_after"])
def test_a_candidate_is_matched_exactly_while_its_consent_is_in_force(world, after_end):
    """An end within a second (00:00:00.900): the index and the consent agree to the
    microsecond, where an end kept in whole seconds left the fiche out 0.9 s early."""
    hub, clock = world
    ends = (clock.now + dt.timedelta(hours=1)).replace(microsecond=900000)
    _indexed_until(hub, clock, ends)
    clock.now = ends + after_end
    [record] = hub.consents.of_references(COMMUNE.member_id, ["CST-A-1"]).values()
    in_force = usable(record, clock.now).allowed
    assert in_force is (after_end < dt.timedelta(0))
    assert _matched(hub) is in_force


def _ends(hub, column):
    hub.engine.dispose()  # a connection opened before a migration may know the old columns
    with hub.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT {column} FROM match_records").scalars().all()


def test_the_ends_indexed_in_seconds_are_kept_through_the_upgrade_and_back(world):
    from alembic import command

    from hub.domain.matching.consent_end import epoch_us
    from hub.store.migrate import alembic_config

    hub, clock = world
    ends = (clock.now + dt.timedelta(hours=1)).replace(microsecond=900000)
    _indexed_until(hub, clock, ends)
    assert _ends(hub, "consent_end_us") == [epoch_us(ends)]
    config = alembic_config(hub.settings.database_url.reveal())
    command.downgrade(config, "0051")
    whole_seconds = epoch_us(ends) // 1_000_000
    assert _ends(hub, "consent_end_s") == [whole_seconds]
    command.upgrade(config, "heads")
    assert _ends(hub, "consent_end_us") == [whole_seconds * 1_000_000]
