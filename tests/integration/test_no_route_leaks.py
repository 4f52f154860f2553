"""Every route, called by a recipient, discloses at most what the projection allows.

The test enumerates the app's routes: a route added later without a way to call it
here fails the test, so no path can serve fiche data without being checked."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.domain.projection import ConsentScope, allowed_fields
from hub.services import erasure, ingest, processing
from hub.services.auth import Caller
from hub.services.members import load_network
from hub.services.publisher import RecordingPublisher
from tests.factories import Credentials, make_fiche, record_consents

pytestmark = pytest.mark.integration

OWNER = "commune-ambert"
RECIPIENT = "cci-thiers"  # accompagnement, reads its feed


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
    erased = erasure.request_erasure(hub, owner, {"fiche_id": "F-GONE"})
    assert erased["avis_envoyes"] == [RECIPIENT]
    yield (hub, Credentials(tmp_path / "creds" / f"{RECIPIENT}.json"), fiche, markers, consent,
           erased["effacement"])
    hub.close()


def test_no_route_discloses_a_field_outside_the_recipients_allowed_set(world):
    hub, creds, _fiche, markers, consent, erasure_id = world
    scope = ConsentScope.from_terms(consent.purposes, consent.roles, consent.members)
    allowed = allowed_fields(hub.policy.current, "accompagnement", "accompagnement", scope,
                             False, member=RECIPIENT).paths
    forbidden = {path: marker for path, marker in markers.items() if path not in allowed}
    assert "accompagnement[].notes" in forbidden and "financement.pret_honneur" in forbidden
    with TestClient(create_app(hub=hub)) as client:
        with hub.uow() as uow:
            porteur_id = uow.fiches.porteur_of(OWNER, "F-MARK").porteur_id
        values = {"member_id": OWNER, "fiche_id": "F-MARK", "porteur_id": porteur_id,
                  "consent_id": consent.id, "name": "fiche", "seq": 0, "item_id": 1,
                  "erasure_id": erasure_id, "version": 1}
        seen = []
        routes = client.get("/openapi.json").json()["paths"]
        for route, operations in routes.items():
            if not route.startswith("/v1") or "get" not in operations:
                continue
            params = re.findall(r"{(\w+)}", route)
            missing = [p for p in params if p not in values]
            assert not missing, f"route {route}: give this test a value for {missing}"
            path = route.format(**values)
            response = client.get(path, headers=creds.headers("GET", path))
            seen.append((route, response.status_code))
            for field, marker in forbidden.items():
                assert marker not in response.text, f"{route} leaks {field}"
        assert ("/v1/feed", 200) in seen
        feed = client.get("/v1/feed", headers=creds.headers("GET", "/v1/feed")).text
    assert markers["porteur.nom"] in feed  # allowed fields do arrive: the check can see them
