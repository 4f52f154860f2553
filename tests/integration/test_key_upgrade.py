"""Keyed blocking digests, and a store written before them (and before bucketed KEKs)
brought up to date by `capactif init` (`upgrade_keys`), resumably."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import sqlalchemy as sa

from consent.shredding import new_key, unwrap_key, wrap_key
from hub.bootstrap import LEGACY_MASTER_KEY, Hub
from hub.domain.matching.decision import record_blocking_keys
from hub.services.ingest.fiches import read_own_fiche
from hub.services.matching.online import matching_model
from hub.services.privacy.key_rotation import DIGESTS_MARKER, upgrade_keys
from hub.store.erasure_tables import fiche_keys, store_markers
from hub.store.matching_repository import key_number
from hub.store.matching_tables import match_keys
from tests.fakes.publisher import RecordingPublisher
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration

GUESSED = "courriel:mh.chassaing@exemple.fr"  # the default porteur's address, as a guess


def _digests(hub) -> set[int]:
    """The index's keys, as stored: the first 64 bits of each digest (`key_number`)."""
    with hub.engine.connect() as conn:
        return {row.key for row in conn.execute(sa.select(match_keys))}


def _unkeyed(key: str) -> str:
    """The former digest: blake2b with no key, which anyone can compute from a guess."""
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def test_a_guessed_email_hashed_the_old_way_finds_nothing_in_a_copy_of_the_index(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche("F-1"))
    copy = _digests(hub)
    assert key_number(_unkeyed(GUESSED)) not in copy
    keyed = hmac.new(hub.store_keys.digest_key, GUESSED.encode(), hashlib.sha256).hexdigest()
    assert key_number(keyed[:32]) in copy  # only the holder of the key directory can test a guess


def test_init_recomputes_unkeyed_digests_and_rewraps_keys_of_the_former_master_key(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche("F-1"))
    keyed = _digests(hub)
    master = _former_layout(hub)
    assert key_number(_unkeyed(GUESSED)) in _digests(hub)
    former = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    assert former.store_keys.legacy_master == master  # still readable before the upgrade
    assert read_own_fiche(former, OWNER, OWNER.member_id, "F-1")["fiche"]["fiche_id"] == "F-1"

    done = upgrade_keys(former)

    assert done["cles_reemballees"] == 1 and done["digests_recalcules"] == 1
    assert _digests(hub) == keyed
    assert not (hub.settings.key_folder / LEGACY_MASTER_KEY).exists()
    with hub.engine.connect() as conn:
        assert {row.generation for row in conn.execute(sa.select(fiche_keys))} == {1}
    fresh = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    assert fresh.store_keys.legacy_master is None
    assert read_own_fiche(fresh, OWNER, OWNER.member_id, "F-1")["fiche"]["fiche_id"] == "F-1"
    # resumable: a second run finds nothing
    assert upgrade_keys(fresh) == {"cles_reemballees": 0, "digests_recalcules": 0,
                                   "notes_scellees": 0, "cles_detruites": 0}
    for opened in (former, fresh):
        opened.close()


def _former_layout(hub) -> bytes:
    """Turn the store back into what a hub before 0009 wrote: keys wrapped by one master
    key (in the key directory), unkeyed digests, no digest marker."""
    master = new_key()
    (hub.settings.key_folder / LEGACY_MASTER_KEY).write_bytes(master)
    (hub.settings.key_folder / LEGACY_MASTER_KEY).chmod(0o600)
    with hub.uow() as uow:
        keks = {(b, g): hub.keyring.kek(b, g) for b, g in uow.keys.generations().items()}
        conn = uow.connection
        identity = uow.matching.identity_of(1)
        assert identity is not None
        keys = list(dict.fromkeys(record_blocking_keys(identity, matching_model(hub))))
        for row in list(conn.execute(sa.select(fiche_keys))):
            data_key = unwrap_key(keks[(row.fiche_pk % 256, row.generation)], row.wrapped_key)
            conn.execute(sa.update(fiche_keys).where(fiche_keys.c.fiche_pk == row.fiche_pk)
                         .values(wrapped_key=wrap_key(master, data_key), generation=None))
        conn.execute(sa.delete(match_keys))
        conn.execute(sa.insert(match_keys), [{"key": key_number(_unkeyed(k)), "fiche_pk": 1}
                                                for k in keys])
        conn.execute(sa.delete(store_markers).where(store_markers.c.name == DIGESTS_MARKER))
        uow.commit()
    return master
