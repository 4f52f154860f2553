"""The blocking index's keys are stored as 64-bit numbers (migration 0028), on both
databases: the keys indexed before the upgrade still find their fiches, and a downgrade
leaves no key of the other form behind (the older release re-indexes at its `init`)."""

from __future__ import annotations

import orjson
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from hub.domain.matching.blocking import rules_fingerprint
from hub.domain.matching.decision import record_blocking_keys
from hub.services.matching.index_markers import RULES_MARKER, ensure_current, index_fingerprint
from hub.services.matching.online import identity_of, matching_model
from hub.services.ops.admin import initialise
from hub.store.erasure_tables import store_markers
from hub.store.matching_repository import key_digest, key_number
from hub.store.matching_tables import match_keys
from hub.store.migrate import alembic_config
from hub.store.tables import fiches
from tests.factories import other_porteur
from tests.integration.world import fiche, push_and_process

pytestmark = pytest.mark.integration

NUMBERS = "0028"  # the migration that made the keys numbers


def _before_numbers(config) -> str:
    return ScriptDirectory.from_config(config).get_revision(NUMBERS).down_revision


def _porteur_of(hub, fiche_id: str) -> str:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(fiches.c.porteur_id).where(
            fiches.c.fiche_id == fiche_id)).scalar_one()


def _hex_digests(hub) -> list[str]:
    """F-1's blocking keys as the releases before 0028 stored them: hex digests."""
    keys = record_blocking_keys(identity_of(fiche()["porteur"]), matching_model(hub))
    return [key_digest(hub.store_keys.digest_key, k) for k in keys]


def _pk(hub, fiche_id: str) -> int:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(fiches.c.id).where(fiches.c.fiche_id == fiche_id)
                            ).scalar_one()


def _stored_keys(hub) -> list[tuple[object, int]]:
    with hub.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(match_keys.c.key,
                                                             match_keys.c.fiche_pk))]


def _rules_markers(hub) -> list[str]:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(store_markers.c.name).where(
            store_markers.c.name.like(f"{RULES_MARKER}%"))).scalars().all()


def test_keys_indexed_before_the_upgrade_are_numbers_that_still_find_their_fiche(network):
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    config = alembic_config(hub.settings.database_url.reveal())
    command.downgrade(config, _before_numbers(config))
    pk = _pk(hub, "F-1")
    with hub.uow() as uow:  # F-1's keys as the release before wrote them: hex digests
        digests = _hex_digests(hub)
        uow.connection.execute(sa.delete(match_keys))
        untyped = sa.table("match_keys", sa.column("key"), sa.column("fiche_pk"))
        uow.connection.execute(sa.insert(untyped), [{"key": d, "fiche_pk": pk}
                                                    for d in digests])
        uow.commit()

    command.upgrade(config, "heads")
    push_and_process(hub, fiche("F-2"))  # the same person, pushed again

    stored = _stored_keys(hub)
    assert {type(key) for key, _pk in stored} == {int}
    assert all(-2**63 <= key < 2**63 for key, _pk in stored)  # type: ignore[operator]
    assert len([key for key, fiche_pk in stored if fiche_pk == pk]) == len(digests)
    assert _porteur_of(hub, "F-2") == _porteur_of(hub, "F-1")


def test_a_downgrade_leaves_no_key_and_init_indexes_every_fiche_again(network):
    """Keys of 64 bits cannot be made the release before's hex digests again: the
    downgrade removes them with the markers saying the index was built, so that release's
    `capactif init` re-indexes every fiche from its sealed identity."""
    hub = network[0]
    push_and_process(hub, fiche("F-1"), fiche("F-2", porteur=other_porteur(2)))
    initialise(hub.settings)
    before = sorted(_stored_keys(hub))
    config = alembic_config(hub.settings.database_url.reveal())

    command.downgrade(config, _before_numbers(config))
    left, markers = _stored_keys(hub), _rules_markers(hub)
    command.upgrade(config, "heads")
    done = initialise(hub.settings)
    push_and_process(hub, fiche("F-3"))  # F-1's person, pushed again

    assert (left, markers) == ([], [])
    assert done["index_reindexe"] == 2
    assert sorted(_stored_keys(hub)) == sorted(
        [*before, *[(key, _pk(hub, "F-3")) for key, pk in before if pk == _pk(hub, "F-1")]])
    assert _porteur_of(hub, "F-3") == _porteur_of(hub, "F-1")


def test_two_keys_of_a_fiche_sharing_their_first_64_bits_are_one_row(network):
    """One chance in some 10^17 a fiche: it must not stop the fiche's indexing (the two
    keys bring the same candidates, stored once)."""
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    pk, porteur, identity = _pk(hub, "F-1"), _porteur_of(hub, "F-1"), identity_of(
        fiche()["porteur"])
    record = hub.records(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS))
    twins = [key_number("0123456789abcdef" + "0" * 16), key_number("0123456789abcdef" + "f" * 16)]
    with hub.uow() as uow:
        uow.matching.index(pk, porteur, identity, twins, record, hub.clock())
        uow.commit()

    assert _stored_keys(hub) == [(twins[0], pk)]



def test_the_upgrade_says_in_the_index_s_marker_that_its_keys_are_numbers(network):
    """A store indexed by the release before (hex digests, its markers that release's
    fingerprint): the upgrade converts the keys and says so in the markers. A worker of
    that release left running while `capactif init` upgraded the store compares the marker
    with its own fingerprint: it is refused (a retryable error) instead of writing hex
    digests and reading by them (on SQLite it found nothing and made a second porteur of
    the same person); the new release has nothing to re-index and still finds the person."""
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    initialise(hub.settings)
    rules = matching_model(hub).settings.blocking.rules
    config = alembic_config(hub.settings.database_url.reveal())
    command.downgrade(config, _before_numbers(config))
    pk = _pk(hub, "F-1")
    with hub.uow() as uow:  # the release before's index: hex digests, its markers
        digests = _hex_digests(hub)
        untyped = sa.table("match_keys", sa.column("key"), sa.column("fiche_pk"))
        uow.connection.execute(sa.insert(untyped), [{"key": d, "fiche_pk": pk}
                                                    for d in digests])
        uow.connection.execute(sa.insert(store_markers), [
            {"name": RULES_MARKER, "value": rules_fingerprint(rules)},
            {"name": f"{RULES_MARKER}_target", "value": rules_fingerprint(rules)},
            {"name": f"{RULES_MARKER}_after", "value": "0"}])
        uow.commit()

    command.upgrade(config, "heads")
    with hub.uow() as uow:
        marked = (uow.markers.get(RULES_MARKER), uow.markers.get(f"{RULES_MARKER}_target"))
        ensure_current(uow, rules)  # this release's worker
    done = initialise(hub.settings)
    push_and_process(hub, fiche("F-2"))  # the same person, pushed again

    assert marked == (index_fingerprint(rules), index_fingerprint(rules))
    assert index_fingerprint(rules) != rules_fingerprint(rules)  # the older worker's check
    assert done["index_reindexe"] == 0
    assert _porteur_of(hub, "F-2") == _porteur_of(hub, "F-1")
