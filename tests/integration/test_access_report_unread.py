"""GDPR art. 15: the access report names every member the porteur's data was disclosed
or made available to (a webhook sent, a delivery put in its feed), read or not. It
listed only the members that accessed it: a member whose feed held a delivery unread
was absent, although an erasure's notices (`avis_envoyes`) named it. On both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.services.audit import trail as audit
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.privacy import discretion, erasure
from tests.integration.world import OWNER, THIERS, fiche, network, push_and_process

pytestmark = pytest.mark.integration
__all__ = ["network"]


def _porteur(hub) -> str:
    with hub.uow() as uow:
        return uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id


def test_a_member_whose_feed_holds_the_porteur_unread_is_in_the_access_report(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    received = {r["membre"]: r for r in
                audit.access_report(hub, "pnr", _porteur(hub))["destinataires"]}
    assert set(received) == {"cci-thiers", "pfil-livradois", "commune-thiers"}
    unread = received["commune-thiers"]
    assert unread["lu"] is False and unread["acces"] == 0 and unread["livraisons"] == 1
    assert "accompagnement[].structure" in unread["champs_mis_a_disposition"]
    assert received["cci-thiers"]["lu"] is True
    read_feed(hub, THIERS, 0, 100)
    report = audit.access_report(hub, "pnr", _porteur(hub))
    assert {r["membre"]: r["lu"] for r in report["destinataires"]}["commune-thiers"] is True


def test_after_an_erasure_the_report_names_every_member_its_notices_went_to(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    porteur = _porteur(hub)
    answer = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1", "reference": "DEM-1"})
    report = audit.access_report(hub, "pnr", porteur)
    assert sorted(r["membre"] for r in report["destinataires"]) == answer["avis_envoyes"]


def test_the_first_delivery_is_given_in_utc_like_the_first_access(network):
    """`premiere_livraison` read the stored time as the database handed it back: naive on
    SQLite (no offset), aware on PostgreSQL. In UTC on both, like `premier_acces`."""
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche())
    report = audit.access_report(hub, "pnr", _porteur(hub))
    firsts = [r["premiere_livraison"] for r in report["destinataires"]]
    assert firsts and all(
        dt.datetime.fromisoformat(at).utcoffset() == dt.timedelta(0) for at in firsts)


def test_a_member_s_fiche_report_names_every_member_its_fiche_was_made_available_to(network):
    """The member's (or its DPO's) report on its own fiche listed only members that read
    it: the commune of Thiers, whose feed holds the fiche unread, was absent, while the
    network DPO's art. 15 report names it. Now both list it, `lu` false (the commune of
    Thiers is chosen by its subscription: the owner may learn of it)."""
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    report = discretion.fiche_report(hub, OWNER.member_id, OWNER.member_id, "F-1")
    received = {r["membre"]: r for r in report["destinataires"]}
    person = {r["membre"]: r for r in
              audit.access_report(hub, "pnr", _porteur(hub))["destinataires"]}
    assert set(received) == set(person) - {OWNER.member_id} == {
        "cci-thiers", "pfil-livradois", "commune-thiers"}
    unread = received["commune-thiers"]
    assert unread["lu"] is False and unread["livraisons"] == 1
    assert unread["champs_mis_a_disposition"] == person["commune-thiers"][
        "champs_mis_a_disposition"]
    assert dt.datetime.fromisoformat(unread["premiere_livraison"]).utcoffset() == dt.timedelta(0)
    push_and_process(hub, fiche(version=2))
    report = discretion.fiche_report(hub, OWNER.member_id, OWNER.member_id, "F-1")
    assert {r["membre"]: r["livraisons"] for r in report["destinataires"]}[
        "commune-thiers"] == 2
