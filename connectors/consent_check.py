"""`connector check`: are the consents the export's rows cite recorded at the hub?

The rows' references are the ones the mapping derives (`consentement.reference`, with its
`prefixe` and transforms), asked of the hub by `POST /v1/consents/lookup`, which reads
only and answers about the member's own references. Each row whose fiche would be
refused for its consent is reported with its spreadsheet row and reference.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from connectors.client import HubClient
from connectors.errors import HubNotFound

LOOKUP_BATCH = 1000
_ADVICE = {
    "unknown_consent_reference": "aucun consentement enregistré au hub sous cette référence : "
                                 "enregistrez-le (POST /v1/consents) avant l'envoi",
    "consent_withdrawn": "le porteur a retiré ce consentement : la fiche serait refusée",
    "consent_expired": "ce consentement a expiré : recueillez-en un nouveau",
    "purpose_not_covered": "ce consentement ne couvre pas l'orientation dans le réseau",
    "consent_of_another_porteur": "ce consentement a été enregistré pour une autre fiche",
}


@dataclasses.dataclass(frozen=True)
class CitedConsent:
    """A row's fiche as the connector would send it: its row, fiche id and reference."""

    line: int
    fiche_id: str
    reference: str


def check_consents(client: HubClient, cited: list[CitedConsent]) -> dict[str, Any]:
    """`{"code", "message", "verifiees", "problemes": [{"ligne", "reference", "code",
    "message"}]}`; code `ok`, `manquants`, or `non_verifie` for a hub without the lookup."""
    references = sorted({c.reference for c in cited})
    try:
        answers: dict[str, dict[str, Any]] = {}
        for first in range(0, len(references), LOOKUP_BATCH):
            answers.update(client.lookup_consents(references[first:first + LOOKUP_BATCH]))
    except HubNotFound:
        return {"code": "non_verifie", "verifiees": 0, "problemes": [],
                "message": "Ce hub ne permet pas encore de vérifier les consentements "
                           "(POST /v1/consents/lookup absent) : mettez-le à jour."}
    problems = [p for c in cited if (p := _problem(c, answers.get(c.reference)))]
    return {"code": "manquants" if problems else "ok", "verifiees": len(cited),
            "problemes": problems, "message": _summary(len(cited), problems)}


def _problem(cited: CitedConsent, answer: dict[str, Any] | None) -> dict[str, Any] | None:
    code = "unknown_consent_reference" if answer is None else str(answer.get("code"))
    if answer is not None and answer.get("utilisable") is True:
        if answer.get("fiche_id") in (None, cited.fiche_id):
            return None
        code = "consent_of_another_porteur"
    advice = _ADVICE.get(code, f"consentement inutilisable ({code})")
    return {"ligne": cited.line, "reference": cited.reference, "code": code,
            "message": f"Ligne {cited.line}, consentement {cited.reference} : {advice}."}


def _summary(checked: int, problems: list[dict[str, Any]]) -> str:
    if not problems:
        return f"Les {checked} consentements cités sont enregistrés au hub et utilisables."
    missing = sum(p["code"] == "unknown_consent_reference" for p in problems)
    return (f"{len(problems)} ligne(s) sur {checked} citent un consentement que le hub "
            f"refuserait, dont {missing} introuvable(s) : ces fiches seraient rejetées à "
            "l'envoi. Enregistrez ou corrigez ces consentements, puis relancez la "
            "vérification.")
