"""A change of the blocking rules in the matching settings: `capactif init` re-indexes
the fiches indexed under the former rules, resumably, so that online matching finds the
pairs the new rules bring (as the batch does)."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.domain.matching import blocking
from hub.domain.matching.model import default_model
from hub.services.matching.reindex import RULES_MARKER, reindex_blocking
from hub.services.ops.admin import initialise
from hub.services.privacy import erasure
from hub.store.erasure_tables import store_markers
from hub.store.matching_repository import key_digest, key_number
from hub.store.matching_tables import match_keys, match_records
from hub.store.tables import fiches
from tests.fakes.publisher import RecordingPublisher
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration

FORMER_RULES = ("telephone",)
NEW_RULES = ("telephone", "prenom_commune")


def _with_rules(hub: Hub, tmp_path, rules: tuple[str, ...]) -> Hub:
    """The same store opened with a matching model whose blocking uses `rules` only."""
    model = default_model()
    settings = dataclasses.replace(model.settings, blocking=dataclasses.replace(
        model.settings.blocking, rules=rules))
    path = tmp_path / f"model-{len(rules)}.json"
    path.write_text(dataclasses.replace(model, settings=settings).to_json(), encoding="utf-8")
    return Hub.from_settings(dataclasses.replace(hub.settings, matching_model_file=path),
                             publisher=RecordingPublisher(), clock=hub.clock)


def _porteur_of(hub: Hub, fiche_id: str) -> str:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(fiches.c.porteur_id).where(
            fiches.c.fiche_id == fiche_id)).scalar_one()


def _new_phone(document: dict) -> dict:
    """The same porteur with another phone: only the first name and commune key meets."""
    document["porteur"]["telephone"] = "07 11 22 33 44"
    return document


def _two_porteurs_indexed_under_former_rules(network, tmp_path) -> Hub:
    """Two different porteurs indexed under the former rules; the store opened with the new."""
    hub, _clock, _cci, _pfil = network
    former = _with_rules(hub, tmp_path, FORMER_RULES)
    push_and_process(former, fiche("F-1"), _new_phone(fiche("F-2", porteur={
        **fiche()["porteur"], "prenom": "Odile", "nom": "Vilbel"})))
    former.close()
    return _with_rules(hub, tmp_path, NEW_RULES)


def test_after_a_rule_is_added_init_reindexes_and_online_matching_finds_the_new_pairs(
        network, tmp_path):
    hub, _clock, _cci, _pfil = network
    former = _with_rules(hub, tmp_path, FORMER_RULES)
    initialise(former.settings)
    push_and_process(former, fiche("F-1"))
    former.close()

    upgraded = _with_rules(hub, tmp_path, NEW_RULES)
    done = initialise(upgraded.settings)

    assert done["index_reindexe"] == 1
    push_and_process(upgraded, _new_phone(fiche("F-2")))
    assert _porteur_of(upgraded, "F-2") == _porteur_of(upgraded, "F-1")
    assert initialise(upgraded.settings)["index_reindexe"] == 0  # done once
    upgraded.close()


def test_a_hub_without_the_new_rule_set_misses_the_pair(network, tmp_path):
    """The same store without the re-indexing: the pair is not found online (what the
    re-indexing repairs)."""
    hub, _clock, _cci, _pfil = network
    former = _with_rules(hub, tmp_path, FORMER_RULES)
    push_and_process(former, fiche("F-1"))
    former.close()
    upgraded = _with_rules(hub, tmp_path, NEW_RULES)
    push_and_process(upgraded, _new_phone(fiche("F-2")))
    assert _porteur_of(upgraded, "F-2") != _porteur_of(upgraded, "F-1")
    upgraded.close()


def test_an_interrupted_reindex_resumes_where_it_stopped(network, tmp_path):
    upgraded = _two_porteurs_indexed_under_former_rules(network, tmp_path)

    assert reindex_blocking(upgraded, chunk=1, max_chunks=1) == 1  # stopped after one
    with upgraded.engine.connect() as conn:
        assert conn.execute(sa.select(store_markers.c.value).where(
            store_markers.c.name == RULES_MARKER)).scalar_one_or_none() is None
    assert reindex_blocking(upgraded, chunk=1) == 1  # the second fiche only
    assert reindex_blocking(upgraded, chunk=1) == 0
    with upgraded.engine.connect() as conn:
        indexed = {row.fiche_pk for row in conn.execute(sa.select(match_keys))}
    assert len(indexed) == 2
    upgraded.close()


def test_a_fiche_erased_during_the_reindex_is_never_indexed_again(network, tmp_path):
    upgraded = _two_porteurs_indexed_under_former_rules(network, tmp_path)
    assert reindex_blocking(upgraded, chunk=1, max_chunks=1) == 1  # F-1 re-indexed

    erasure.request_erasure(upgraded, OWNER, {"fiche_id": "F-1"})

    assert reindex_blocking(upgraded, chunk=1) == 1  # F-2 only
    assert reindex_blocking(upgraded, chunk=1, max_chunks=1) == 0
    with upgraded.engine.connect() as conn:
        erased = conn.execute(sa.select(fiches.c.id).where(fiches.c.fiche_id == "F-1")
                              ).scalar_one()
        keyed = {row.fiche_pk for row in conn.execute(sa.select(match_keys))}
        assert erased not in keyed and len(keyed) == 1
        recorded = conn.execute(sa.select(match_records.c.fiche_pk)).scalars().all()
        assert recorded and erased not in recorded
    upgraded.close()


def _street_keys(hub: Hub) -> set[str]:
    """Which of F-1's possible street keys (its postcode as typed or its digits sorted) the
    index holds."""
    with hub.engine.connect() as conn:
        stored = set(conn.execute(sa.select(match_keys.c.key)).scalars())
    wanted = {"rue_code_postal:ROUX:63600", "rue_code_postal:ROUX:00366"}
    return {k for k in wanted if key_number(key_digest(hub.store_keys.digest_key, k)) in stored}


def test_a_store_keyed_by_the_previous_release_is_reindexed_at_init(network, tmp_path,
                                                                    monkeypatch):
    """Release 9 of the keys (`KEYS_VERSION`) keys a place by its postcode's digits in
    sorted order (63600 and a typed 63060 meet): the rules' names are unchanged, so only the
    version tells `capactif init` that the index is stale."""
    hub, _clock, _cci, _pfil = network
    with monkeypatch.context() as previous_release:
        previous_release.setattr(blocking, "KEYS_VERSION", 8)
        previous_release.setattr(blocking, "_postcode", lambda r: r.code_postal)
        former = _with_rules(hub, tmp_path, ("rue_code_postal",))
        initialise(former.settings)
        push_and_process(former, fiche("F-1", porteur={**fiche()["porteur"], "adresse": {
            "ligne": "1 boulevard des Roux", "code_postal": "63600", "commune": "Ambert"}}))
        assert _street_keys(former) == {"rue_code_postal:ROUX:63600"}
        former.close()

    upgraded = _with_rules(hub, tmp_path, ("rue_code_postal",))
    assert initialise(upgraded.settings)["index_reindexe"] == 1
    assert _street_keys(upgraded) == {"rue_code_postal:ROUX:00366"}
    upgraded.close()
