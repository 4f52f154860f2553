"""A backup restored after the porteur narrowed a consent, on both databases: a fiche's new
version cited a consent leaving the financing role out (no withdrawal). The restore
records that consent again and makes it the fiche's consent in force, so the financer is
not served the fiche again, by webhook, feed or the porteur's view. Before, the consent
and the version citing it were gone with the copy: the wider consent was in force again
and the fiche went back to the financer. The journal's entry names the fiche by key and
keyed digest, the consent sealed with the fiche's key: nothing of the person, the
member's references nor its agent in clear."""

from __future__ import annotations

import json

import pytest

from hub.bootstrap import Hub
from hub.services.delivery import consent_journal, feed, webhooks
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ops import recovery
from hub.services.privacy import porteurs
from tests.factories import record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.test_consent_in_force import PFIL
from tests.integration.world import OWNER, THIERS, fiche

pytestmark = pytest.mark.integration

AGENT = "Agnès Marchetti-Dupuy"
PROOF = "message-de-agnes.marchetti@exemple.fr"
NARROWER = {"roles_destinataires": ["accueil", "accompagnement", "coordination"],
            "agent": AGENT, "preuve": {"type": "message_id", "valeur": PROOF}}


def _reopen(hub: Hub) -> Hub:
    return Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


def _push(hub, doc):
    answer = ingest.push_batch(hub, OWNER, [doc])
    assert answer["accepted"] == 1, answer
    processing.process_outbox(hub, hub.publisher.published[-1])
    webhooks.dispatch_webhooks(hub)


def _first(hub, fiche_id):
    """v1 under a consent open to every role, sent to the financer: v1."""
    v1 = fiche(fiche_id, 1)
    record_consents(hub, [v1])
    _push(hub, v1)
    return v1


def _narrowed(hub, v1):
    """v2 citing a consent that leaves the financing role out: (v2, its consent)."""
    v2 = fiche(v1["fiche_id"], 2, projet={**v1["projet"], "stade": "montage"})
    v2["consentement"] = {"reference": f"CST-{v1['fiche_id']}-etroit"}
    [narrower] = record_consents(hub, [v2], **NARROWER)
    _push(hub, v2)
    return v2, narrower


def _narrowed_after_backup(hub, folder, fiche_id):
    """v1 sent, a backup in `folder`, then v2 under the narrower consent: (v2, its consent)."""
    v1 = _first(hub, fiche_id)
    recovery.backup(hub, folder)
    return _narrowed(hub, v1)


def _in_force(hub, fiche_id):
    with hub.uow() as uow:
        return uow.fiches.consents_in_force(OWNER.member_id, [fiche_id])[fiche_id][1]


def _porteur(hub, fiche_id):
    with hub.uow() as uow:
        return uow.fiches.porteur_of(OWNER.member_id, fiche_id).porteur_id


def _data(items):
    return [i for i in items if i["evenement"] in ("created", "updated") and not i.get("retire")]


def _fiches_sent(recipient, fiche_id):
    return [d for d in recipient.documents()
            if (d.get("fiche") or {}).get("fiche_id") == fiche_id]


def _narrowed_notices(recipient):
    return [(d["delivery_id"], d["source"]["livraisons"]) for d in recipient.documents()
            if d.get("evenement") == "narrowed"]


def _journal(hub) -> list[dict]:
    path = hub.settings.key_folder / "recovery_journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_consent_narrowed_after_the_backup_stays_in_force_after_the_restore(network, tmp_path):
    hub, clock, _cci, pfil = network
    v1 = _first(hub, "F-N")
    assert len(_fiches_sent(pfil, "F-N")) == 1
    recovery.backup(hub, tmp_path / "sauvegarde")
    v2, narrower = _narrowed(hub, v1)
    [notice] = _narrowed_notices(pfil)
    hub.close()
    pfil.received.clear()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert done.consents_narrowed_replayed == [narrower.id]
    restored = _reopen(hub)
    try:
        assert _in_force(restored, "F-N") == narrower.id
        kept = restored.consents.get(narrower.id)
        assert (kept.roles, kept.agent, kept.reference) == (
            narrower.roles, AGENT, narrower.reference)
        seen = porteurs.porteur_for(restored, PFIL, _porteur(restored, "F-N"))["livraisons"]
        assert seen and _data(seen) == []
        assert {d["motif"] for d in seen if d.get("retire")} == {"role_not_covered"}
        assert [d["source"]["version"] for d in _data(
            feed.read_feed(restored, THIERS, 0, 100)["deliveries"])] == [1]
        clock.advance(seconds=60)  # past the restore's own time (the host's clock)
        webhooks.dispatch_webhooks(restored)  # the notice sent before, the same id
        assert _narrowed_notices(pfil) == [notice]
        # the member pushes the version the copy lost again, citing the same consent
        # (posted again: the same record, not a new one), and a third one after it
        assert restored.consents.register(_submission(restored, v2), OWNER.member_id) == (
            kept, False)
        pfil.received.clear()
        _push(restored, v2)
        _push(restored, fiche("F-N", 3, projet={**v2["projet"], "stade": "installe"},
                              consentement=v2["consentement"]))
        assert _fiches_sent(pfil, "F-N") == []
        assert _narrowed_notices(pfil) == []
        assert _in_force(restored, "F-N") == narrower.id
    finally:
        restored.close()


def _submission(hub, doc):
    """The consent of `doc` as the member posts it again (the narrower terms)."""
    from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
    from tests.factories import ALL_PURPOSES

    version, digest = hub.consents.store_notice(NOTICE_TEXT)
    kept = hub.consents.by_reference(OWNER.member_id, doc["consentement"]["reference"])
    return example_submission(
        version, digest, kept.collected_at, reference=kept.reference, membre=OWNER.member_id,
        fiche_id=doc["fiche_id"], finalites=ALL_PURPOSES,
        expire_le=kept.expires_at.isoformat(), **NARROWER)


def test_restoring_twice_records_the_consent_once_and_a_later_copy_replays_nothing(
        network, tmp_path):
    hub, _clock, _cci, _pfil = network
    _v2, narrower = _narrowed_after_backup(hub, tmp_path / "avant", "F-T")
    recovery.backup(hub, tmp_path / "apres")
    hub.close()

    for _ in range(2):
        done = recovery.restore(hub.settings, tmp_path / "avant")
        assert done.consents_narrowed_replayed == [narrower.id]
    done = recovery.restore(hub.settings, tmp_path / "apres")
    assert done.consents_narrowed_replayed == []
    restored = _reopen(hub)
    try:
        assert _in_force(restored, "F-T") == narrower.id
        records = restored.consents.for_porteur([(OWNER.member_id, "F-T")])
        assert [r.id for r in records].count(narrower.id) == 1
        assert len(restored.consents.get(narrower.id).history) == 1
    finally:
        restored.close()
    # replayed by a restore of the store that holds it (the first restore's): not again
    again = _reopen(hub)
    try:
        recovery.backup(again, tmp_path / "restauree")
    finally:
        again.close()
    assert recovery.restore(hub.settings, tmp_path / "restauree").consents_narrowed_replayed == []


def test_a_narrowing_whose_push_never_committed_is_not_replayed(network, tmp_path):
    """A push killed, or whose transaction failed, after its journal entry: a later
    decision the store holds proves it never committed, and the copy's consent stays."""
    hub, _clock, _cci, _pfil = network
    _first(hub, "F-U")
    first = _in_force(hub, "F-U")
    other = _first(hub, "F-V")
    recovery.backup(hub, tmp_path / "sauvegarde")
    v2 = fiche("F-U", 2)
    v2["consentement"] = {"reference": "CST-F-U-etroit"}
    [never] = record_consents(hub, [v2], **NARROWER)
    with hub.uow() as uow:  # rolled back, as by a push whose transaction failed
        pk = uow.fiches.consents_in_force(OWNER.member_id, ["F-U"])["F-U"][0]
        consent_journal.journal_narrowings(
            hub, uow, [(pk, OWNER.member_id, "F-U", first, never.id, 2)], hub.clock())
    _v2, narrower = _narrowed(hub, other)
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert (done.consents_narrowed_replayed, done.decisions_never_committed) == (
        [narrower.id], 1)
    restored = _reopen(hub)
    try:
        assert (_in_force(restored, "F-U"), _in_force(restored, "F-V")) == (first, narrower.id)
    finally:
        restored.close()


def test_a_wider_consent_is_not_journaled_and_the_entry_holds_nothing_in_clear(
        network, tmp_path):
    hub, _clock, _cci, _pfil = network
    v1 = _first(hub, "F-W")
    v2, narrower = _narrowed(hub, v1)
    v3 = fiche("F-W", 3, projet={**v2["projet"], "stade": "installe"})
    v3["consentement"] = {"reference": "CST-F-W-large"}
    record_consents(hub, [v3])  # every role again: widens, takes nothing away
    _push(hub, v3)
    entries = [e for e in _journal(hub) if e["type"] == consent_journal.CONSENT]
    assert [e["consent_id"] for e in entries] == [narrower.id]
    text = json.dumps(entries, ensure_ascii=False)
    for clear in ("F-W", narrower.reference, AGENT, PROOF, v1["porteur"]["nom"],
                  v1["porteur"]["prenom"], "financement", "accompagnement"):
        assert clear not in text


def test_what_the_narrowing_asked_to_delete_is_not_served_again_under_a_wider_consent_after_the_restore(
        network, tmp_path):
    hub, clock, _cci, _pfil = network
    v2, _narrower = _narrowed_after_backup(hub, tmp_path / "sauvegarde", "F-L")
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = _reopen(hub)
    try:
        v3 = fiche("F-L", 3, projet={**v2["projet"], "stade": "emergence"})
        v3["consentement"] = {"reference": "CST-F-L-large"}
        record_consents(restored, [v3])  # every role again
        clock.advance(seconds=60)  # past the restore's own time (its notice goes first)
        _push(restored, v3)
        seen = porteurs.porteur_for(restored, PFIL, _porteur(restored, "F-L"))["livraisons"]
        assert [d["source"]["version"] for d in _data(seen)] == [3]
        assert {d["motif"] for d in seen if d.get("retire")} == {"deletion_asked"}
    finally:
        restored.close()
