"""Factories of valid documents and signed requests for the tests."""

from __future__ import annotations

import copy
import datetime as dt
import json
import secrets
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors.http_signatures import sign_request_rfc9421
from hub.domain.protocol import request_message
from hub.keys import b64url, unb64url

_FICHE: dict[str, Any] = {
    "fiche_id": "F-0001",
    "membre": "cci-puy-de-dome",
    "version": 1,
    "mis_a_jour_le": "2026-11-20T09:30:00+01:00",
    "porteur": {
        "nom": "Chassaing",
        "prenom": "Marie-Hélène",
        "date_naissance": "1988-04-12",
        "courriel": "mh.chassaing@exemple.fr",
        "telephone": "04 73 82 10 45",
        "adresse": {"ligne": "12 rue de la Filature", "code_postal": "63600",
                    "commune": "Ambert", "code_insee": "63003"},
        "situation": "demandeur_emploi",
    },
    "projet": {
        "intitule": "Atelier de papeterie artisanale",
        "type": "creation",
        "stade": "montage",
        "code_naf": "17.23Z",
        "commune_implantation": {"code_insee": "63003", "nom": "Ambert"},
        "besoins": ["financement", "local"],
    },
    "accompagnement": [
        {"structure": "cci-puy-de-dome", "date": "2026-10-02", "type": "accueil",
         "referent": "Paul Roux"}
    ],
    "financement": {"besoin_total": 42000, "apport": 8000, "pret_honneur": 10000},
    "consentement": {"reference": "CST-0001"},
}


def make_fiche(member: str = "cci-puy-de-dome", fiche_id: str = "F-0001", version: int = 1,
               **overrides: Any) -> dict[str, Any]:
    fiche = copy.deepcopy(_FICHE)
    fiche.update(membre=member, fiche_id=fiche_id, version=version,
                 consentement={"reference": f"CST-{fiche_id}"})
    fiche.update(overrides)
    return fiche


_STAGES = ("montage", "financement", "installe", "post_creation")  # "montage": _FICHE's


def stage_of(version: int) -> str:
    """A project stage that moves with the version, version 1's that of `make_fiche`: a
    later version then changes something every role sees, as a real one does (a version
    changing nothing a recipient may see reaches it by nothing)."""
    return _STAGES[(version - 1) % len(_STAGES)]


_SYLLABLES = ["ker", "mor", "van", "bri", "lou", "zac", "pel", "tan", "rou", "fol", "gar",
              "dieu", "mas", "sou", "bel", "cha", "vil", "lar", "nec", "hou"]
_FIRST_NAMES = ["Marie-Hélène", "Benoît", "Sylvie", "Yannick", "Odile", "Jérôme", "Agnès",
                "Thierry", "Nadège", "Rémi", "Colette", "Fabrice"]


def other_porteur(n: int) -> dict[str, Any]:
    """A porteur different from the default one and from `other_porteur(m)`, m != n (up to
    8,000): the deduplication must not link them (name, birth date, contacts, street differ)."""
    surname = "".join(_SYLLABLES[n // 20**k % 20] for k in range(3)).capitalize()
    return {**copy.deepcopy(_FICHE["porteur"]), "nom": surname, "prenom": _FIRST_NAMES[n % 12],
            "date_naissance": f"{1950 + n // 192}-{1 + n // 16 % 12:02d}-{13 + n % 16}",
            # contacts far apart, not one typo away from another porteur's
            "courriel": f"{surname.lower()}.{n * 7919 % 100003}@exemple.fr",
            "telephone": "06 " + " ".join(f"1{n * 104729 % 9999991:07d}"[i:i + 2]
                                          for i in range(0, 8, 2)),
            "adresse": {"ligne": f"{n + 1} rue des {surname}", "code_postal": "63600",
                        "commune": "Ambert"}}


class Clock:
    """A settable clock for services that take one (`hub.clock`, registries)."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now or dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


ALL_PURPOSES = ["orientation", "accompagnement", "financement", "statistiques"]
ALL_ROLES = ["accueil", "accompagnement", "financement", "coordination"]


def record_consents(hub: Any, fiches: list[Any], **overrides: Any) -> list[Any]:
    """Record, through the hub's consent registry, a consent for each valid-looking fiche
    (all purposes and roles unless `overrides` say otherwise)."""
    from capactif_demo.consent_examples import NOTICE_TEXT, example_submission

    version, digest = hub.consents.store_notice(NOTICE_TEXT)
    now = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    records = []
    for fiche in fiches:
        if not isinstance(fiche, dict) or "consentement" not in fiche or "fiche_id" not in fiche:
            continue
        terms = {"finalites": ALL_PURPOSES, "roles_destinataires": ALL_ROLES, **overrides}
        submission = example_submission(
            version, digest, now, reference=fiche["consentement"]["reference"],
            membre=fiche["membre"], fiche_id=fiche["fiche_id"], **terms)
        records.append(hub.consents.record(submission, fiche["membre"]))
    return records


def make_network(path: Path, member_ids: list[str], role: str = "accompagnement") -> Path:
    document = {
        "reseau": "Réseau de test",
        "membres": [
            {"id": m, "nom": f"Membre {m}", "nature": "cci", "role": role,
             "contact": {"courriel": f"{m}@exemple.fr"}}
            for m in member_ids
        ],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


class Credentials:
    """A member's credentials as written by `capactif members load`."""

    def __init__(self, path: Path) -> None:
        document = json.loads(path.read_text(encoding="utf-8"))
        self.member_id: str = document["membre"]
        self.token: str = document["token"]
        self.private_key = Ed25519PrivateKey.from_private_bytes(unb64url(document["cle_privee"]))

    def headers(self, method: str, target: str, body: bytes = b"", *,
                timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_urlsafe(18)
        signature = self.private_key.sign(request_message(ts, nonce, method, target, body))
        return {
            "Authorization": f"Bearer {self.token}",
            "X-Capactif-Timestamp": ts,
            "X-Capactif-Nonce": nonce,
            "X-Capactif-Signature": b64url(signature),
            "Content-Type": "application/json",
        }

    def rfc9421_headers(self, method: str, target: str, body: bytes = b"") -> dict[str, str]:
        """The token and an RFC 9421 signature (keyid: the token's id before the dot)."""
        signed = sign_request_rfc9421(self.private_key, self.token.partition(".")[0], method,
                                      target, body)
        return {**signed, "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
