"""Erasure by crypto-shredding (GDPR art. 17), on both databases, with real HTTP
recipients: sealed at rest, unreadable after erasure wherever a copy lies, notices
tracked like a withdrawal, the pseudonymous trail kept."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from consent.shredding import new_key, unseal
from hub.errors import AlreadyErased, BadRequest, DataErased, Forbidden, NotFound, UnreadableData
from hub.services.accounts.auth import Caller
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ingest.fiches import read_own_fiche
from hub.services.privacy import erasure
from hub.store.audit_tables import audit_entries
from hub.store.delivery_tables import deliveries
from hub.store.erasure_tables import fiche_keys
from hub.store.matching_tables import match_keys, match_records
from hub.store.sealing import delivery_context, version_context
from hub.store.tables import fiche_versions
from tests.factories import record_consents
from tests.integration.world import OWNER, THIERS, fiche, push_and_process

pytestmark = pytest.mark.integration

CCI = Caller("cci-thiers", "CCI", "cci", "accompagnement")
PFIL = Caller("pfil-livradois", "PFIL", "pfil", "financement")
COORDINATION = Caller("pnr-livradois", "Parc", "pnr", "coordination")
NAME = "Marqueurdenom"


def named_fiche(fiche_id="F-1", version=1):
    document = fiche(fiche_id, version)
    document["porteur"]["nom"] = NAME
    return document


def raw_rows(hub, table):
    with hub.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(table))]


def test_fiche_versions_and_deliveries_are_sealed_at_rest(network):
    hub, _clock, cci, _pfil = network
    push_and_process(hub, named_fiche())
    webhooks.dispatch_webhooks(hub)
    stored = raw_rows(hub, fiche_versions) + raw_rows(hub, deliveries) + \
        raw_rows(hub, match_records) + raw_rows(hub, match_keys)
    assert stored and NAME.lower() not in json.dumps(stored, default=str).lower()
    assert all(row["payload"].startswith("v1.") for row in raw_rows(hub, fiche_versions))
    assert read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")["fiche"]["porteur"]["nom"] == NAME
    assert cci.documents()[0]["fiche"]["porteur"]["nom"] == NAME  # opened when it leaves


def test_erasure_makes_every_stored_copy_unreadable_and_notifies_every_recipient(network):
    hub, clock, cci, pfil = network
    push_and_process(hub, named_fiche())
    push_and_process(hub, named_fiche(version=2))
    webhooks.dispatch_webhooks(hub)
    backup = raw_rows(hub, fiche_versions), raw_rows(hub, deliveries)  # a copy, e.g. a backup

    answer = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1", "reference": "DEM-12"})

    assert answer["avis_envoyes"] == ["cci-thiers", "commune-thiers", "pfil-livradois"]
    with pytest.raises(DataErased) as refused:
        read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")
    assert refused.value.status == 410
    assert {row["wrapped_key"] for row in raw_rows(hub, fiche_keys)} == {None}
    assert raw_rows(hub, match_records) == [] and raw_rows(hub, match_keys) == []
    versions, sent = backup
    with hub.uow() as uow:  # the hub itself can no longer open any copy
        assert {uow.keys.open(v["fiche_pk"], version_context(v["fiche_pk"], v["version"]),
                              v["payload"]) for v in versions} == {None}
        assert {uow.keys.open(d["fiche_pk"], delivery_context(d["idempotency_key"]), d["payload"])
                for d in sent} == {None}
    with pytest.raises(UnreadableData):  # nor can anyone holding another key
        unseal(new_key(), versions[0]["payload"], version_context(versions[0]["fiche_pk"], 1))

    webhooks.dispatch_webhooks(hub)
    for recipient in (cci, pfil):
        notice = recipient.documents()[-1]
        assert notice["evenement"] == "erased" and notice["effacement"] == answer["effacement"]
        assert NAME not in json.dumps(notice)
    feed = read_feed(hub, THIERS, 0, 100)["deliveries"]
    assert [d["evenement"] for d in feed] == ["created", "updated", "erased"]
    assert all(d["retire"] and d["motif"] == "data_erased" for d in feed[:2])
    assert NAME not in json.dumps(feed)

    erasure.acknowledge(hub, CCI, answer["effacement"])
    clock.now += dt.timedelta(days=hub.settings.notice_ack_delay_days + 1)
    status = {a["membre"]: a["statut"] for a in
              erasure.read_erasure(hub, OWNER, answer["effacement"])["avis"]}
    assert status == {"cci-thiers": "acknowledged", "commune-thiers": "overdue",
                      "pfil-livradois": "overdue"}


def test_the_pseudonymous_trail_survives_erasure_and_the_statistics_do_not(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, named_fiche())
    statistics = raw_rows(hub, fiche_versions)[0]["statistics"]
    assert statistics["projet"]["stade"] == "montage"
    assert "porteur" not in statistics or set(statistics["porteur"]) <= {"situation"}
    assert NAME not in json.dumps(statistics)
    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    assert raw_rows(hub, fiche_versions)[0]["statistics"] is None
    trail = hub.audit.search()
    assert {"erasure", "fiche_push"} <= {e.action for e in trail}
    assert NAME not in json.dumps([e.to_dict() for e in trail], default=str)
    assert NAME not in json.dumps(raw_rows(hub, audit_entries), default=str)


def test_no_statistics_are_kept_without_consent_to_statistics(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, named_fiche(), finalites=["orientation", "accompagnement"])
    assert raw_rows(hub, fiche_versions)[0]["statistics"] is None


def test_deliveries_not_yet_sent_are_cancelled_and_only_the_notice_follows(network):
    hub, _clock, cci, _pfil = network
    cci.status = 503
    push_and_process(hub, named_fiche())
    webhooks.dispatch_webhooks(hub)
    assert cci.documents() == []
    answer = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    assert answer["livraisons_annulees"] == 1  # the cci's, which had not left
    cci.status = 200
    webhooks.dispatch_webhooks(hub)
    assert [d["evenement"] for d in cci.documents()] == ["erased"]


def test_a_fiche_erased_before_the_worker_saw_it_is_never_shared(network):
    hub, _clock, cci, _pfil = network
    record_consents(hub, [named_fiche()])
    ingest.push_batch(hub, OWNER, [named_fiche()])
    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    outcome = processing.process_outbox(hub, hub.publisher.published[-1])
    assert (outcome.claimed, outcome.deliveries) == (1, 0)
    webhooks.dispatch_webhooks(hub)
    assert cci.documents() == []


def test_a_new_version_of_an_erased_fiche_is_refused_with_a_clear_error(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, named_fiche())
    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    answer = ingest.push_batch(hub, OWNER, [named_fiche(version=2)])
    error = answer["results"][0]["errors"][0]
    assert (answer["accepted"], error["code"], error["path"]) == (0, "fiche_erased", "$.fiche_id")
    assert NAME not in json.dumps(answer)


def test_a_member_deleting_its_fiche_erases_that_fiche_only(network):
    hub, _clock, cci, _pfil = network
    push_and_process(hub, named_fiche("F-1"), named_fiche("F-2"))
    webhooks.dispatch_webhooks(hub)
    answer = erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-1")
    assert (answer["portee"], answer["fiches_effacees"]) == ("fiche", 1)
    assert answer["motif"] == "retrait_par_le_membre"
    with pytest.raises(NotFound):  # no longer held: the id is free again
        read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")
    assert read_own_fiche(hub, OWNER, OWNER.member_id, "F-2")["fiche"]["porteur"]["nom"] == NAME
    webhooks.dispatch_webhooks(hub)
    notice = cci.documents()[-1]
    sent = [d["delivery_id"] for d in cci.documents()
            if d["evenement"] == "created" and d["source"]["fiche_id"] == "F-1"]
    assert notice["sources"] == [{"membre": OWNER.member_id, "fiche_id": "F-1",
                                  "livraisons": sent}]
    assert notice["motif"] == "retrait_par_le_membre" and "pas une demande du porteur" in \
        notice["demande"]


def test_a_fiche_its_member_removed_can_be_pushed_again(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, named_fiche("F-1"))
    erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-1")
    answer = ingest.push_batch(hub, OWNER, [named_fiche("F-1")])  # the restored export
    assert answer["accepted"] == 1, answer
    assert read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")["fiche"]["porteur"]["nom"] == NAME
    with pytest.raises(NotFound):
        erasure.delete_fiche(hub, CCI, CCI.member_id, "F-1")


def test_an_erasure_asked_by_the_porteur_says_so_and_refuses_a_new_push(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, named_fiche("F-1"))
    answer = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    assert answer["motif"] == "demande_du_porteur"
    refused = ingest.push_batch(hub, OWNER, [named_fiche("F-1")])
    assert refused["results"][0]["errors"][0]["code"] == "fiche_erased"


def test_erasure_requests_are_checked_with_clear_errors(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, named_fiche())
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id
    with pytest.raises(NotFound):  # a member names only its own fiches
        erasure.request_erasure(hub, CCI, {"fiche_id": "F-1"})
    with pytest.raises(Forbidden):  # by porteur id: the coordination only
        erasure.request_erasure(hub, CCI, {"porteur_id": porteur_id})
    with pytest.raises(Forbidden):  # a member naming a porteur: 403 before the body's checks
        erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1", "porteur_id": porteur_id})
    with pytest.raises(BadRequest):
        erasure.request_erasure(hub, COORDINATION, {"fiche_id": "F-1", "porteur_id": porteur_id})
    with pytest.raises(Forbidden):
        erasure.delete_fiche(hub, CCI, OWNER.member_id, "F-1")
    answer = erasure.request_erasure(hub, COORDINATION, {"porteur_id": porteur_id})
    assert answer["fiches_effacees"] == 1
    with pytest.raises(AlreadyErased) as again:
        erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    assert (again.value.status, again.value.code) == (409, "already_erased")
    with pytest.raises(NotFound):  # unrelated members learn nothing of it
        erasure.read_erasure(hub, Caller("cc-x", "", "epci", "accueil"), answer["effacement"])


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_erasure_is_answered_and_recorded_when_its_vacuum_cannot_run(network):
    """The VACUUM after an erasure waits for a lock another VACUUM holds (SHARE UPDATE
    EXCLUSIVE) past the lock timeout: the erasure is committed by then, so it is answered
    and its audit event kept; the dead tuples are left to the next VACUUM (PostgreSQL's
    guarantee rests on the destroyed keys)."""
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, named_fiche())
    webhooks.dispatch_webhooks(hub)  # sent (one never sent is named in no notice)
    with hub.engine.connect() as other:
        other.exec_driver_sql("LOCK TABLE match_records IN SHARE UPDATE EXCLUSIVE MODE")
        answer = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1", "reference": "DEM-13"})
        other.rollback()
    assert answer["avis_envoyes"] == ["cci-thiers", "commune-thiers", "pfil-livradois"]
    assert len(hub.audit.search(action="erasure", limit=10)) == 1
    assert {row["wrapped_key"] for row in raw_rows(hub, fiche_keys)} == {None}
