"""One named person pushed by the contract world's owner under a consent of her own, sent
to the recipient: what the erasure tests look for afterwards on every route."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from hub.services.ingest import processing
from tests.factories import make_fiche
from tests.integration.contract_world import OWNER, RECIPIENT

NAME, FIRST, MAIL, PHONE = "Quiberonnaise", "Ysolde", "ysolde.quib@exemple.fr", "06 71 42 93 58"
MARKS = [NAME.lower(), FIRST.lower(), MAIL.lower(), PHONE.replace(" ", ""), "0671429358",
         "71 42 93 58", "ysolde.quib"]


def marked(text: str) -> list[str]:
    """The marks of the person `text` holds (also with its spaces taken out)."""
    low = text.lower()
    return [m for m in MARKS if m in low or m in low.replace(" ", "")]


def named_fiche(fiche_id: str = "F-1", version: int = 1) -> dict[str, Any]:
    fiche = make_fiche(member=OWNER, fiche_id=fiche_id, version=version)
    fiche["porteur"].update(nom=NAME, prenom=FIRST, courriel=MAIL, telephone=PHONE)
    fiche["consentement"] = {"reference": f"CST-{fiche_id}"}
    return fiche


def push_person(contract: Any, fiche_id: str = "F-1") -> tuple[str, str]:
    """Her consent (every purpose and role), her fiche pushed and delivered to the
    recipient: (the consent's id, her porteur id)."""
    version, digest = contract.hub.consents.store_notice(NOTICE_TEXT)
    submission = example_submission(
        version, digest, dt.datetime.now(dt.UTC), membre=OWNER, fiche_id=fiche_id,
        reference=f"CST-{fiche_id}",
        finalites=["orientation", "accompagnement", "financement", "statistiques"],
        roles_destinataires=["accueil", "accompagnement", "financement", "coordination"],
        preuve={"type": "autre", "valeur": f"signé par {FIRST} {NAME}"})
    answer = contract.call(OWNER, "POST", "/v1/consents", submission)
    assert answer.status_code == 201, answer.text
    pushed = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [named_fiche(fiche_id)]})
    assert pushed.json()["accepted"] == 1, pushed.text
    processing.process_outbox(contract.hub, contract.hub.publisher.published[-1])
    feed = contract.call(RECIPIENT, "GET", "/v1/feed?after=0").json()
    assert NAME in json.dumps(feed)  # the recipient was sent the identity
    return answer.json()["id"], feed["deliveries"][0]["porteur_id"]
