"""Every route, called by a recipient, discloses at most what the projection allows.

The test enumerates the app's routes: a route added later without a way to call it
here fails the test, so no path can serve fiche data without being checked."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.domain.projection import ConsentScope, allowed_fields
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import erasure
from tests.factories import Credentials, make_fiche, other_porteur, record_consents
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration

OWNER = "commune-ambert"
RECIPIENT = "cci-thiers"  # accompagnement, reads its feed
HIDDEN = "pfil-livradois"  # financement: its fiches go to no other member


def _marked_fiche() -> tuple[dict, dict[str, str]]:
    """A fiche with a distinctive marker in every free-text field, and the markers."""
    fiche = make_fiche(member=OWNER, fiche_id="F-MARK")
    markers = {}
    for path, (holder, key) in {
        "porteur.nom": (fiche["porteur"], "nom"),
        "porteur.prenom": (fiche["porteur"], "prenom"),
        "porteur.nom_naissance": (fiche["porteur"], "nom_naissance"),
        "porteur.adresse.ligne": (fiche["porteur"]["adresse"], "ligne"),
        "porteur.adresse.commune": (fiche["porteur"]["adresse"], "commune"),
        "projet.intitule": (fiche["projet"], "intitule"),
        "projet.description": (fiche["projet"], "description"),
        "accompagnement[].referent": (fiche["accompagnement"][0], "referent"),
        "accompagnement[].notes": (fiche["accompagnement"][0], "notes"),
        "accompagnement[].parrain": (fiche["accompagnement"][0], "parrain"),
    }.items():
        markers[path] = f"MARQUEUR{len(markers):02d}X"
        holder[key] = markers[path]
    fiche["accompagnement"][0]["structure"] = OWNER
    fiche["porteur"]["courriel"] = "marqueur.courriel.x@exemple.fr"
    markers["porteur.courriel"] = "marqueur.courriel.x"
    fiche["financement"]["pret_honneur"] = 987654
    markers["financement.pret_honneur"] = "987654"
    return fiche, markers


@pytest.fixture
def world(db_url, tmp_path):
    members = [
        {"id": OWNER, "nom": "Mairie", "nature": "commune", "role": "accueil",
         "contact": {"courriel": "a@exemple.fr"}},
        {"id": RECIPIENT, "nom": "CCI", "nature": "cci", "role": "accompagnement",
         "contact": {"courriel": "b@exemple.fr"}, "abonnements": [{"communes": ["63003"]}]},
        {"id": HIDDEN, "nom": "PFIL", "nature": "pfil", "role": "financement",
         "contact": {"courriel": "c@exemple.fr"}},
    ]
    (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url),
                            publisher=RecordingPublisher())
    load_network(hub, tmp_path / "network.json", tmp_path / "creds")
    fiche, markers = _marked_fiche()
    consent = record_consents(hub, [fiche], roles_destinataires=["accompagnement"],
                              finalites=["orientation", "accompagnement"])[0]
    owner = Caller(OWNER, "", "commune", "accueil")
    ingest.push_batch(hub, owner, [fiche])
    processing.process_outbox(hub, hub.publisher.published[-1])
    gone = make_fiche(member=OWNER, fiche_id="F-GONE")
    record_consents(hub, [gone])
    ingest.push_batch(hub, owner, [gone])
    processing.process_outbox(hub, hub.publisher.published[-1])
    hidden = _hidden_fiches(hub)  # F-HIDE: the porteur of F-GONE; F-ALONE: another one
    erased = erasure.request_erasure(hub, owner, {"fiche_id": "F-GONE"})
    assert erased["avis_envoyes"] == [RECIPIENT]
    yield (hub, Credentials(tmp_path / "creds" / f"{RECIPIENT}.json"), fiche, markers, consent,
           erased["effacement"], hidden)
    hub.close()


def _hidden_fiches(hub: Hub) -> dict[str, list[str]]:
    """The PFIL's fiches under funding-only consents, one about the porteur the recipient
    was sent F-GONE of, one about a porteur it never heard of: what names them."""
    pfil = Caller(HIDDEN, "", "pfil", "financement")
    linked = make_fiche(member=HIDDEN, fiche_id="F-HIDE")
    alone = make_fiche(member=HIDDEN, fiche_id="F-ALONE", porteur=other_porteur(3))
    found = record_consents(hub, [linked, alone], finalites=["orientation", "financement"],
                            roles_destinataires=["financement"])
    ingest.push_batch(hub, pfil, [linked, alone])
    processing.process_outbox(hub, hub.publisher.published[-1])
    with hub.uow() as uow:
        porteur = uow.fiches.porteur_of(HIDDEN, "F-ALONE").porteur_id
        assert uow.fiches.porteur_of(HIDDEN, "F-HIDE").porteur_id == \
            uow.fiches.porteur_of(OWNER, "F-GONE").porteur_id
    return {"consent_id": [c.id for c in found], "porteur_id": [porteur],
            "markers": [HIDDEN, "F-HIDE", "F-ALONE", porteur,
                        *(c.id for c in found), *(c.reference for c in found)]}


def test_no_route_discloses_a_field_outside_the_recipients_allowed_set(world):
    hub, creds, _fiche, markers, consent, erasure_id, hidden = world
    scope = ConsentScope.from_terms(consent.purposes, consent.roles, consent.members)
    allowed = allowed_fields(hub.policy.current, "accompagnement", "accompagnement", scope,
                             False, member=RECIPIENT).paths
    forbidden = {path: marker for path, marker in markers.items() if path not in allowed}
    forbidden |= {f"hidden:{marker}": marker for marker in hidden["markers"]}
    assert "accompagnement[].notes" in forbidden and "financement.pret_honneur" in forbidden
    with TestClient(create_app(hub=hub)) as client:
        with hub.uow() as uow:
            porteur_id = uow.fiches.porteur_of(OWNER, "F-MARK").porteur_id
            gone_porteur = uow.fiches.porteur_of(OWNER, "F-GONE").porteur_id
        values = {"member_id": [OWNER, HIDDEN], "fiche_id": ["F-MARK", "F-HIDE"],
                  "porteur_id": [porteur_id, gone_porteur, *hidden["porteur_id"]],
                  "consent_id": [consent.id, *hidden["consent_id"]], "name": ["fiche"],
                  "seq": [0], "item_id": [1], "erasure_id": [erasure_id], "version": [1]}
        seen = []
        routes = client.get("/openapi.json").json()["paths"]
        for route, operations in routes.items():
            if not route.startswith("/v1") or "get" not in operations:
                continue
            params = re.findall(r"{(\w+)}", route)
            missing = [p for p in params if p not in values]
            assert not missing, f"route {route}: give this test a value for {missing}"
            for chosen in itertools.product(*(values[p] for p in params)):
                path = route.format(**dict(zip(params, chosen, strict=True)))
                response = client.get(path, headers=creds.headers("GET", path))
                seen.append((route, response.status_code))
                for field, marker in forbidden.items():
                    assert marker not in response.text, f"{path} leaks {field}"
        assert ("/v1/feed", 200) in seen and ("/v1/erasures/{erasure_id}", 200) in seen
        assert ("/v1/porteurs/{porteur_id}/consents", 200) in seen
        for consent_id in hidden["consent_id"]:  # nor can it act on what it cannot see
            path = f"/v1/consents/{consent_id}/withdraw"
            assert client.post(path, headers=creds.headers("POST", path)).status_code == 404
        feed = client.get("/v1/feed", headers=creds.headers("GET", "/v1/feed")).text
    assert markers["porteur.nom"] in feed  # allowed fields do arrive: the check can see them
    assert "F-GONE" in feed  # and the erasure notice names what the recipient was sent
