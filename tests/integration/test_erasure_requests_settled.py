"""A request to another owner is settled by the fiches it named, not by the porteur:
confirmed once the last of them is erased, by whatever route (the owner's answer, its
own request, the coordination's, a `DELETE`, a restore replaying them), wherever a merge
or a separation has put them; never while one of them is still readable. On both
databases."""

from __future__ import annotations

import pytest

from hub.errors import DataErased, StoreUnavailable
from hub.services.matching import duplicates
from hub.services.privacy import erasure, erasure_requests
from tests.integration.test_erasure_requests import (  # noqa: F401 (fixture)
    CCI,
    COORDINATION,
    NETWORK_DPO,
    PFIL,
    attacked,
    name_of,
    own_fiche,
    push_as,
)
from tests.integration.world import OWNER, THIERS, fiche

pytestmark = pytest.mark.integration


def owner_line(hub, erasure_id):
    return [d["statut"] for d in erasure.read_erasure(hub, NETWORK_DPO, erasure_id)["demandes"]
            if d["membre"] == OWNER.member_id]


def test_confirming_one_request_leaves_pending_another_that_named_a_fiche_still_readable(
        attacked):  # noqa: F811
    """commune-thiers's request named the owner's F-1; the owner then pushes F-2 about the
    same person, and the PFIL's request names both. Confirming the first erases F-1 only:
    the second stays pending (F-2 is readable), and confirming it erases F-2."""
    hub, _clock, _cci, _pfil, _porteur_id, first = attacked
    push_as(hub, OWNER, fiche("F-2"))
    second = erasure.request_erasure(hub, PFIL, {"fiche_id": "P-1"})
    erasure_requests.answer_request(hub, OWNER, first["effacement"], {"reponse": "confirmee"})
    assert owner_line(hub, first["effacement"]) == ["confirmed"]
    assert owner_line(hub, second["effacement"]) == ["pending"]
    assert name_of(hub, OWNER, "F-2")
    done = erasure_requests.answer_request(hub, OWNER, second["effacement"],
                                           {"reponse": "confirmee"})
    assert (done["statut"], done["fiches_effacees"]) == ("confirmed", 1)
    with pytest.raises(DataErased):
        name_of(hub, OWNER, "F-2")


def test_a_confirmation_cut_short_stays_pending_and_the_retry_erases_what_is_left(
        network, monkeypatch):
    """The request named F-1 and F-2; a separation put F-1 in a porteur of its own, so
    confirming erases two groups. The second group's transaction fails (a merge moving
    the fiches: 503): the request is still pending, and answering again erases F-2."""
    hub, _clock, _cci, _pfil = network
    push_as(hub, OWNER, fiche("F-1"))
    push_as(hub, OWNER, fiche("F-2"))
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accueil"])
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id
    asked = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})
    duplicates.unmerge(hub, porteur_id, OWNER.member_id, "F-1", actor=COORDINATION.member_id)
    held, real = [], erasure._hold_fiches

    def second_group_moved(uow, porteur, pks):
        held.append(porteur)
        if len(held) == 2:
            raise erasure._FichesMoved
        return real(uow, porteur, pks)

    monkeypatch.setattr(erasure, "_hold_fiches", second_group_moved)
    with pytest.raises(StoreUnavailable):
        erasure_requests.answer_request(hub, OWNER, asked["effacement"], {"reponse": "confirmee"})
    monkeypatch.setattr(erasure, "_hold_fiches", real)
    assert owner_line(hub, asked["effacement"]) == ["pending"]
    done = erasure_requests.answer_request(hub, OWNER, asked["effacement"],
                                           {"reponse": "confirmee"})
    assert (done["statut"], done["fiches_effacees"]) == ("confirmed", 1)
    for fiche_id in ("F-1", "F-2"):
        with pytest.raises(DataErased):
            name_of(hub, OWNER, fiche_id)
    assert owner_line(hub, asked["effacement"]) == ["confirmed"]


def test_the_coordination_erasing_the_porteur_a_separation_moved_the_fiche_to_confirms(
        attacked):  # noqa: F811
    hub, _clock, _cci, _pfil, porteur_id, asked = attacked
    push_as(hub, CCI, own_fiche(CCI, "C-1"))  # beside F-1, a fiche the coordination sees
    duplicates.unmerge(hub, porteur_id, OWNER.member_id, "F-1", actor=COORDINATION.member_id)
    with hub.uow() as uow:
        moved_to = uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id
    erasure.request_erasure(hub, COORDINATION, {"porteur_id": moved_to})
    assert owner_line(hub, asked["effacement"]) == ["confirmed"]
    assert name_of(hub, PFIL, "P-1")  # the PFIL's request stays its own to answer
    assert [d["statut"] for d in erasure.read_erasure(hub, NETWORK_DPO, asked["effacement"])[
        "demandes"] if d["membre"] == PFIL.member_id] == ["pending"]


def test_the_owner_deleting_the_fiche_named_confirms_the_request(attacked):  # noqa: F811
    hub, _clock, _cci, _pfil, _porteur_id, asked = attacked
    erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-1")
    assert owner_line(hub, asked["effacement"]) == ["confirmed"]


def test_a_restore_replaying_a_confirmation_after_a_separation_shows_it_confirmed(
        network, tmp_path):
    from hub.bootstrap import Hub
    from hub.services.ops import recovery
    from tests.fakes.publisher import RecordingPublisher

    hub, _clock, _cci, _pfil = network
    push_as(hub, OWNER, fiche("F-1"))
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accueil"])
    push_as(hub, CCI, own_fiche(CCI, "C-1"))  # beside F-1, a fiche the coordination sees
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id
    recovery.backup(hub, tmp_path / "sauvegarde")
    asked = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})
    duplicates.unmerge(hub, porteur_id, OWNER.member_id, "F-1", actor=COORDINATION.member_id)
    erasure_requests.answer_request(hub, OWNER, asked["effacement"], {"reponse": "confirmee"})
    hub.close()
    assert len(recovery.restore(hub.settings, tmp_path / "sauvegarde").erasures_replayed) == 2
    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        with pytest.raises(DataErased):
            name_of(restored, OWNER, "F-1")
        assert owner_line(restored, asked["effacement"]) == ["confirmed"]
    finally:
        restored.close()
