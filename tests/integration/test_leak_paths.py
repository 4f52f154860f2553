"""Property (hypothesis) over the real disclosure paths: for random consents, referents
and fiches carrying a distinctive marker in every free-text and amount field, nothing
a member receives by webhook, reads in its feed or gets back in an error message holds
a marker of a field outside `role policy ∩ consent scope` for that member."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.domain.projection import ConsentScope, allowed_fields
from hub.domain.purposes import purposes_for_role
from hub.domain.routing import referent_structure
from hub.services.accounts.auth import Caller
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.factories import ALL_PURPOSES, ALL_ROLES, make_fiche, record_consents
from tests.integration.world import OWNER

pytestmark = pytest.mark.integration

FEED_READERS = [Caller("commune-thiers", "", "commune", "accueil"),
                Caller("pnr-livradois", "", "pnr", "coordination")]
ROLES = {"cci-thiers": "accompagnement", "pfil-livradois": "financement",
         "commune-thiers": "accueil", "pnr-livradois": "coordination"}
TEXT_FIELDS = {
    "porteur.nom": ("porteur", "nom"), "porteur.prenom": ("porteur", "prenom"),
    "porteur.nom_naissance": ("porteur", "nom_naissance"),
    "porteur.adresse.ligne": ("porteur", "adresse", "ligne"),
    "porteur.adresse.commune": ("porteur", "adresse", "commune"),
    "projet.intitule": ("projet", "intitule"), "projet.description": ("projet", "description"),
    "projet.commune_implantation.nom": ("projet", "commune_implantation", "nom"),
    "accompagnement[].referent": ("accompagnement", 0, "referent"),
    "accompagnement[].parrain": ("accompagnement", 0, "parrain"),
    "accompagnement[].notes": ("accompagnement", 0, "notes"),
}
AMOUNT_FIELDS = ["besoin_total", "apport", "pret_honneur", "microcredit"]
_serial = itertools.count(1)

terms = st.builds(
    lambda purposes, roles, members: {
        "finalites": ["orientation", *sorted(purposes)], "roles_destinataires": sorted(roles),
        **({"membres_destinataires": sorted(members)} if members else {})},
    st.sets(st.sampled_from(ALL_PURPOSES[1:])), st.sets(st.sampled_from(ALL_ROLES), min_size=1),
    st.sets(st.sampled_from(sorted(ROLES))))
structures = st.sampled_from([OWNER.member_id, *sorted(ROLES)])


def marked_fiche(serial: int, structure: str) -> tuple[dict, dict[str, str]]:
    fiche = make_fiche(member=OWNER.member_id, fiche_id=f"F-{serial}")
    fiche["accompagnement"][0]["structure"] = structure
    markers = {}
    for index, (path, where) in enumerate(TEXT_FIELDS.items()):
        holder = fiche
        for key in where[:-1]:
            holder = holder.setdefault(key, {}) if isinstance(key, str) else holder[key]
        markers[path] = holder[where[-1]] = f"MQ{serial}X{index:02d}Z"
    for index, name in enumerate(AMOUNT_FIELDS):
        fiche["financement"][name] = 700000 + serial * 100 + index
        markers[f"financement.{name}"] = str(fiche["financement"][name])
    return fiche, markers


def allowed_for(hub, consent, member: str, structure: str) -> frozenset[str]:
    scope = ConsentScope.from_terms(consent.purposes, consent.roles, consent.members)
    role = ROLES[member]
    return frozenset().union(*(
        allowed_fields(hub.policy.current, role, purpose, scope, member == structure,
                       member=member).paths for purpose in purposes_for_role(role)))


def received(cci, pfil, fiche_id: str, hub) -> dict[str, list[dict]]:
    by_member = {
        "cci-thiers": [d for d in cci.documents() if d.get("source", {}).get("fiche_id") == fiche_id],
        "pfil-livradois": [d for d in pfil.documents()
                           if d.get("source", {}).get("fiche_id") == fiche_id]}
    for reader in FEED_READERS:
        feed = read_feed(hub, reader, 0, 500)["deliveries"]
        by_member[reader.member_id] = [d for d in feed
                                       if d.get("source", {}).get("fiche_id") == fiche_id]
    return by_member


def test_no_path_discloses_a_marker_outside_the_allowed_set(network):
    hub, _clock, cci, pfil = network

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(consent_terms=terms, structure=structures)
    def check(consent_terms, structure):
        serial = next(_serial)
        fiche, markers = marked_fiche(serial, structure)
        consent = record_consents(hub, [fiche], **consent_terms)[0]
        assert ingest.push_batch(hub, OWNER, [fiche])["accepted"] == 1
        processing.process_outbox(hub, hub.publisher.published[-1])
        webhooks.dispatch_webhooks(hub)
        referent = referent_structure(fiche)
        for member, documents in received(cci, pfil, fiche["fiche_id"], hub).items():
            allowed = allowed_for(hub, consent, member, referent)
            text = json.dumps(documents, ensure_ascii=False)
            for path, marker in markers.items():
                if path not in allowed:
                    assert marker not in text, f"{member} received {path}"
            for document in documents:
                assert set(document.get("champs", ())) <= allowed
        conflict = {**fiche, "projet": {**fiche["projet"], "intitule": "autre"}}
        invalid = {**fiche, "fiche_id": f"F-{serial}-bis", "version": 0}
        errors = json.dumps(ingest.push_batch(hub, OWNER, [conflict, invalid]),
                            ensure_ascii=False)
        assert not any(marker in errors for marker in markers.values())

    check()
    assert len({d["source"]["fiche_id"] for d in cci.documents()}) > 1  # data did flow
