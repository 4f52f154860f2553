"""Key rotation while traffic flows: every key-encryption key replaced bucket by bucket
while fiches keep arriving; nothing becomes unreadable and no old KEK is left."""

from __future__ import annotations

import threading

import pytest

from hub.keyring import BUCKETS
from hub.services import ingest, processing
from hub.services.fiches import read_own_fiche
from hub.services.key_rotation import rotate_data_keys
from tests.factories import other_porteur, record_consents
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration


def _fiches(prefix, count, first):
    documents = []
    for i in range(count):
        document = fiche(f"{prefix}-{i}")
        document["porteur"] = other_porteur(first + i)
        documents.append(document)
    return documents


def test_every_data_kek_is_replaced_while_fiches_keep_arriving(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, *_fiches("AVANT", 40, 0))
    with hub.uow() as uow:
        before = uow.keys.generations()
    during = _fiches("PENDANT", 60, 100)
    record_consents(hub, during)
    pushed: list[str] = []

    def traffic() -> None:
        for start in range(0, len(during), 10):
            batch = during[start:start + 10]
            assert ingest.push_batch(hub, OWNER, batch)["accepted"] == len(batch)
            processing.process_outbox(hub, hub.publisher.published[-1])
            pushed.extend(document["fiche_id"] for document in batch)

    sender = threading.Thread(target=traffic)
    sender.start()
    assert rotate_data_keys(hub) == BUCKETS
    sender.join(timeout=120)

    assert len(pushed) == len(during)
    with hub.uow() as uow:
        after = uow.keys.generations()
    assert all(after[b] > before[b] for b in range(BUCKETS))
    assert hub.keyring.generations() == set(after.items())  # no old KEK left
    for fiche_id in [f"AVANT-{i}" for i in range(40)] + pushed:
        assert read_own_fiche(hub, OWNER, OWNER.member_id, fiche_id)["fiche"]["fiche_id"] == fiche_id


def test_an_interrupted_rotation_resumes_where_it_stopped(network, monkeypatch):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, *_fiches("F", 5, 0))
    calls = {"n": 0}
    original = type(hub.keyring).add_generations

    def failing(self, buckets):
        calls["n"] += 1
        if calls["n"] == 3:  # the third step of 16 buckets
            raise OSError("disk full")
        return original(self, buckets)

    monkeypatch.setattr(type(hub.keyring), "add_generations", failing)
    with pytest.raises(OSError):
        rotate_data_keys(hub)
    monkeypatch.undo()
    assert rotate_data_keys(hub) == BUCKETS - 32
    with hub.uow() as uow:
        assert set(uow.keys.generations().values()) == {2}
    for i in range(5):
        assert read_own_fiche(hub, OWNER, OWNER.member_id, f"F-{i}")["fiche"]["fiche_id"] == f"F-{i}"
