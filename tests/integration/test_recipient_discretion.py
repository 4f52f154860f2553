"""No identity oracle through the recipients of one's own fiche: a member that follows
the porteur under a consent excluding the owner's role is still sent the owner's fiche
(routing: `linked`) and still gets the withdrawal and erasure notices, but the owner's
answers (avis_envoyes, acks, its fiche report, the erasure's status) do not name it, on
both databases."""

from __future__ import annotations

import pytest

from hub.bootstrap import Hub
from hub.services.accounts.auth import Caller
from hub.services.delivery import webhooks
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ops import recovery
from hub.services.privacy import consents, discretion, erasure
from tests.factories import make_fiche, other_porteur, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.world import OWNER, fiche, network_world

pytestmark = pytest.mark.integration

ARLANC = {"commune": "Arlanc", "code_insee": "63010"}  # nobody subscribes to it
CCI, PFIL = "cci-thiers", "pfil-livradois"
COORD = Caller("pnr-livradois", "Parc", "pnr", "coordination")


@pytest.fixture
def network(db_url, tmp_path):
    """tests.integration.world's network, the CCI subscribed to nothing: it receives a
    fiche only as a member already following its porteur (routing: `linked`)."""
    yield from network_world(db_url, tmp_path, cci_subscribed=False)


def _away(document, porteur=None):
    """The fiche about `porteur` (default: the factories' person), outside every
    subscription: only members linked to the porteur receive it."""
    if porteur is not None:
        document["porteur"] = porteur
    document["porteur"]["adresse"] = {**document["porteur"]["adresse"], **ARLANC}
    document["projet"]["commune_implantation"] = {"code_insee": "63010", "nom": "Arlanc"}
    return document


def _push(hub, caller_id, document, **terms):
    consent = record_consents(hub, [document], **terms)[0]
    caller = {CCI: Caller(CCI, CCI, "cci", "accompagnement"),
              PFIL: Caller(PFIL, PFIL, "pfil", "financement"),
              COORD.member_id: COORD}.get(caller_id, OWNER)
    assert ingest.push_batch(hub, caller, [document])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    return consent


def _follow(hub, roles, member=CCI):
    """`member` pushes its own fiche about the factories' person (consent for `roles`)."""
    document = make_fiche(member=member, fiche_id="C-1")
    document["accompagnement"][0]["structure"] = member
    _push(hub, member, _away(document), roles_destinataires=roles)


def _observe(hub, cci, tag, porteur=None, referent=None):
    """What the owner learns about its own fiches about this person: the withdrawal's
    answer and acks, its fiche report, the deletion's answer and the erasure's status
    (the owner's fiches naming `referent`'s structure as the porteur's referent)."""
    seen = []
    for fiche_id in (f"{tag}-1", f"{tag}-2"):
        document = _away(fiche(fiche_id), porteur)
        if referent is not None:
            document["accompagnement"].append({"structure": referent, "date": "2026-11-02",
                                               "type": "accueil", "referent": "Marie Dol"})
        consent = _push(hub, OWNER.member_id, document)
        webhooks.dispatch_webhooks(hub)
        report = discretion.fiche_report(hub, OWNER.member_id, OWNER.member_id, fiche_id)
        seen.append([r["membre"] for r in report["destinataires"]])
        if fiche_id.endswith("-1"):
            withdrawn = consents.withdraw_consent(hub, OWNER, consent.id)
            acks = consents.acknowledgements(hub, OWNER, consent.id)
            seen += [withdrawn["avis_envoyes"], [a["membre"] for a in acks]]
        else:
            deleted = erasure.delete_fiche(hub, OWNER, OWNER.member_id, fiche_id)
            status = erasure.read_erasure(hub, OWNER, deleted["effacement"])
            seen += [deleted["avis_envoyes"], [a["membre"] for a in status["avis"]]]
    webhooks.dispatch_webhooks(hub)
    received = {d["evenement"] for d in cci.documents()}
    return seen, received


def test_the_owner_learns_nothing_of_a_follower_whose_consent_excludes_its_role(network):
    hub, _clock, cci, _pfil = network
    unknown, _ = _observe(hub, cci, "U", other_porteur(7))
    _follow(hub, ["accompagnement"])
    known, received = _observe(hub, cci, "K")
    assert known == unknown == [[], [], [], [], [], []]
    # The follower was still sent the fiches and is told of the withdrawal and deletion.
    assert {"created", "withdrawn", "erased"} <= received


def test_a_follower_whose_consent_lets_the_owner_see_it_is_still_named(network):
    hub, _clock, cci, _pfil = network
    _follow(hub, ["accompagnement", "accueil"])
    known, _received = _observe(hub, cci, "K")
    assert known == [[CCI]] * 6


def test_a_follower_with_subscriptions_that_do_not_match_the_fiche_is_not_named(network):
    """Any subscription exempted its member (it might have been chosen for it): the PFIL,
    subscribed to Ambert only, following this person under a consent excluding the
    owner's role, was named for a fiche in Arlanc, which only a follower receives."""
    hub, _clock, _cci, pfil = network
    unknown, _ = _observe(hub, pfil, "U", other_porteur(7))
    _follow(hub, ["financement"], member=PFIL)
    known, received = _observe(hub, pfil, "K")
    assert known == unknown == [[], [], [], [], [], []]
    assert {"created", "withdrawn", "erased"} <= received


def test_the_referent_the_owner_s_fiche_names_is_named_whether_it_follows_or_not(network):
    """The owner's fiche names the CCI as referent: the CCI receives it either way, so
    leaving it out when it also follows the person under a consent excluding the
    owner's role told the owner that it does."""
    hub, _clock, cci, _pfil = network
    unknown, _ = _observe(hub, cci, "U", other_porteur(7), referent=CCI)
    _follow(hub, ["accompagnement"])
    known, _received = _observe(hub, cci, "K", referent=CCI)
    assert known == unknown == [[CCI]] * 6


def test_the_acknowledgements_name_the_same_members_after_the_fiche_was_removed(network):
    """The acks of a withdrawn consent named its recipients while the fiche existed, and
    none once the owner removed it: the answer is decided when the notice is sent."""
    hub, _clock, _cci, _pfil = network
    consent = _push(hub, OWNER.member_id, fiche("A-1"))  # in Ambert: the PFIL subscribes
    webhooks.dispatch_webhooks(hub)  # sent (one never sent is named in no notice)
    consents.withdraw_consent(hub, OWNER, consent.id)
    before = [a["membre"] for a in consents.acknowledgements(hub, OWNER, consent.id)]
    assert PFIL in before
    erasure.delete_fiche(hub, OWNER, OWNER.member_id, "A-1")
    after = [a["membre"] for a in consents.acknowledgements(hub, OWNER, consent.id)]
    assert after == before


def test_the_coordination_s_erasure_reaches_a_fiche_hidden_from_it_without_telling_it(network):
    """The coordination erases the person by its own fiche: every fiche of the person is
    erased, the PFIL's too (its consent leaves the coordination out) and the PFIL asked
    to delete what it holds, but the answer and the erasure's status count and name only
    what the coordination may see (before: 3 fiches, the PFIL among the notified)."""
    hub = network[0]
    _follow(hub, ["financement"], member=PFIL)
    _push(hub, OWNER.member_id, _away(fiche("A-1")))  # open to the coordination
    document = make_fiche(member=COORD.member_id, fiche_id="K-1")
    document["accompagnement"][0]["structure"] = COORD.member_id
    _push(hub, COORD.member_id, _away(document))
    with hub.uow() as uow:
        rows = [uow.fiches.porteur_of(m, f) for m, f in
                ((PFIL, "C-1"), (OWNER.member_id, "A-1"), (COORD.member_id, "K-1"))]
    assert len({row.porteur_id for row in rows}) == 1

    answer = erasure.request_erasure(hub, COORD, {"fiche_id": "K-1"})
    status = erasure.read_erasure(hub, COORD, answer["effacement"])

    assert answer["fiches_effacees"] == status["fiches_effacees"] == 2
    assert answer["avis_envoyes"] == [a["membre"] for a in status["avis"]] == [OWNER.member_id]
    with hub.uow() as uow:
        assert uow.keys.erased(row.id for row in rows) == {row.id for row in rows}
    told = erasure.read_erasure(hub, Caller(PFIL, PFIL, "pfil", "financement"),
                                answer["effacement"])
    assert [a["membre"] for a in told["avis"]] == [PFIL]


def test_a_restore_replaying_the_coordination_s_erasure_counts_what_its_answer_counted(
        network, tmp_path):
    """The same erasure of the person by the coordination, made after a backup, then the
    backup restored: the replay records the erasure again and reads it as its answer told
    it, 2 fiches (before: the journal did not keep what the coordination was told of, and
    the restored erasure counted every fiche again, the PFIL's hidden one too: 3)."""
    hub = network[0]
    _follow(hub, ["financement"], member=PFIL)
    _push(hub, OWNER.member_id, _away(fiche("A-1")))
    document = make_fiche(member=COORD.member_id, fiche_id="K-1")
    document["accompagnement"][0]["structure"] = COORD.member_id
    _push(hub, COORD.member_id, _away(document))
    recovery.backup(hub, tmp_path / "sauvegarde")
    answer = erasure.request_erasure(hub, COORD, {"fiche_id": "K-1"})
    assert answer["fiches_effacees"] == 2
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        status = erasure.read_erasure(restored, COORD, answer["effacement"])
        assert status["fiches_effacees"] == 2
        assert [a["membre"] for a in status["avis"]] == [OWNER.member_id]
    finally:
        restored.close()


def test_a_member_s_first_delivery_of_a_fiche_is_created_with_no_changed_fields(network):
    """The PFIL comes to follow the person after the owner's first version, sent to
    nobody: its first delivery of the fiche, of version 2, is `created` with no changed
    fields (before: `updated`, `champs_modifies` naming what changed since a version it
    was never sent); the next is `updated` as before."""
    hub, _clock, _cci, pfil = network
    _push(hub, OWNER.member_id, _away(fiche("A-1")))  # followed by nobody yet
    _follow(hub, ["financement", "accueil"], member=PFIL)
    for version, stage in ((2, "installe"), (3, "post_creation")):
        document = _away(fiche("A-1", version=version))
        document["projet"]["stade"] = stage
        assert ingest.push_batch(hub, OWNER, [document])["accepted"] == 1
        processing.process_outbox(hub, hub.publisher.published[-1])
    webhooks.dispatch_webhooks(hub)
    sent = [(d["evenement"], d["source"]["version"], d["champs_modifies"])
            for d in pfil.documents() if d.get("source", {}).get("fiche_id") == "A-1"]
    assert sent == [("created", 2, []), ("updated", 3, ["projet.stade"])]
