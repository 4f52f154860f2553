"""Key rotation while traffic flows: every key-encryption key replaced bucket by bucket
while fiches keep arriving; nothing becomes unreadable and no old KEK is left."""

from __future__ import annotations

import threading

import pytest

from hub.keyring import BUCKETS
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ingest.fiches import read_own_fiche
from hub.services.privacy.key_rotation import rotate_data_keys
from tests.factories import other_porteur, record_consents
from tests.integration.world import OWNER, fiche, push_and_process
from tests.waiting import wait_until

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


def test_the_signing_key_rotates_while_heads_are_signed_and_old_heads_still_verify(network, tmp_path):
    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from hub.audit.verify import verify_file
    from hub.bootstrap import Hub
    from hub.services.audit import trail as audit
    from tests.fakes.publisher import RecordingPublisher

    hub, _clock, _cci, _pfil = network
    other_process = Hub.from_settings(hub.settings, publisher=RecordingPublisher())
    try:
        push_and_process(hub, *_fiches("A", 3, 0))
        old = audit.publish_head(hub)["key_id"]
        announced = hub.hub_keys.announce(hub.clock())
        with TestClient(create_app(hub=other_process)) as client:
            published = client.get("/v1/hub-keys").json()["cles"]
        assert [(k["key_id"], k["etat"]) for k in published] == [(old, "active"),
                                                                 (announced.key_id, "annoncee")]
        push_and_process(hub, *_fiches("B", 3, 10))
        assert audit.publish_head(hub)["key_id"] == old  # announced, not yet in use
        hub.hub_keys.activate(hub.clock())
        push_and_process(hub, *_fiches("C", 3, 20))
        assert audit.publish_head(hub)["key_id"] == announced.key_id
        wait_until(lambda: other_process.hub_key.key_id == announced.key_id, 10,  # no restart needed
                   "the other process to see the announced key", interval=0.1)
        export = tmp_path / "journal.jsonl"
        audit.export(other_process, export, OWNER.member_id)
    finally:
        other_process.close()
    with_history = verify_file(export, hub.hub_keys.public_keys())
    assert with_history.ok and with_history.heads >= 3, with_history.render()
    only_new = verify_file(export, announced.public_key)
    assert not only_new.ok  # the history is what makes the old heads verifiable
    old_private = [p for p in hub.settings.key_folder.iterdir()
                   if p.suffix == ".pem" and "pub" not in p.name]
    assert [p.name for p in old_private] == ["hub_ed25519.pem"]


def test_webhooks_carry_both_signatures_while_a_new_key_is_announced(network):
    from connectors import standard_webhooks
    from hub.services.delivery.webhooks import sign_webhook

    hub, _clock, _cci, _pfil = network
    old = hub.hub_key
    body = b'{"evenement":"created"}'
    announced = hub.hub_keys.announce(hub.clock())
    headers = sign_webhook(hub, body, "msg_1")
    assert len(headers["webhook-signature"].split()) == 2
    for key in (old, announced):  # a member that installed either key accepts it
        assert standard_webhooks.verify(headers, body, {key.key_id: key.public_key}) == key.key_id
    hub.hub_keys.activate(hub.clock())
    after = sign_webhook(hub, body, "msg_2")
    assert len(after["webhook-signature"].split()) == 1
    assert standard_webhooks.verify(after, body, {announced.key_id: announced.public_key})
