"""Projection cost per fiche, against copy.deepcopy of the same fiche measured in the same run.

    .venv/bin/python bench/projection.py [--loops 20000]

Prints µs per call for: the cached allowed-set lookup (`allowed_fields`), the projection
(`project`) for three roles of the shipped policy, and the deepcopy baseline, with ratios.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import schemas
from hub.domain.policy import load_policy
from hub.domain.projection import ConsentScope, allowed_fields, project

ROOT = Path(__file__).resolve().parents[1]
FICHE: dict[str, Any] = {
    "fiche_id": "F-0001", "membre": "cci-puy-de-dome", "version": 3,
    "mis_a_jour_le": "2026-11-20T09:30:00+01:00",
    "porteur": {
        "nom": "Chassaing", "nom_naissance": "Vialle", "prenom": "Marie-Hélène",
        "date_naissance": "1988-04-12", "courriel": "mh.chassaing@exemple.fr",
        "telephone": "04 73 82 10 45", "situation": "demandeur_emploi",
        "adresse": {"ligne": "12 rue de la Filature", "code_postal": "63600",
                    "commune": "Ambert", "code_insee": "63003"},
    },
    "projet": {
        "intitule": "Atelier de papeterie artisanale", "description": "x" * 400,
        "type": "creation", "stade": "montage", "code_naf": "17.23Z",
        "commune_implantation": {"code_insee": "63003", "nom": "Ambert"},
        "besoins": ["financement", "local", "formation"],
    },
    "accompagnement": [
        {"structure": "mairie-ambert", "date": "2026-06-02", "type": "accueil"},
        {"structure": "cci-puy-de-dome", "date": "2026-09-14", "type": "diagnostic",
         "referent": "Paul Roux", "notes": "y" * 300},
        {"structure": "pfil-livradois-forez", "date": "2026-10-02", "type": "financement",
         "parrain": "Jeanne Ollier", "notes": "z" * 300},
    ],
    "financement": {"besoin_total": 42000, "apport": 8000, "pret_honneur": 10000,
                    "microcredit": 5000, "subventions": 3000},
    "consentement": {"reference": "CST-0001"},
}
SCOPE = ConsentScope(
    purposes=frozenset({"orientation", "accompagnement", "financement", "statistiques"}),
    recipient_roles=frozenset({"accueil", "accompagnement", "financement", "coordination"}),
    version="CST-0001:v1",
)


def per_call_us(func: Callable[[], object], loops: int, repeats: int = 5) -> float:
    """Best of `repeats` runs of `loops` calls, in microseconds per call."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            func()
        best = min(best, time.perf_counter() - start)
    return best / loops * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=20_000)
    loops = min(parser.parse_args().loops, 1_000_000)
    document = json.loads((ROOT / "examples" / "policy.json").read_text(encoding="utf-8"))
    policy = load_policy(document, schemas.load_schema("fiche"))
    baseline = per_call_us(lambda: copy.deepcopy(FICHE), loops)
    print(f"{'baseline copy.deepcopy(fiche):':<36} {baseline:8.2f} µs")
    lookup = per_call_us(
        lambda: allowed_fields(policy, "financement", "financement", SCOPE, True), loops)
    print(f"{'allowed_fields (cached):':<36} {lookup:8.2f} µs  ratio {lookup / baseline:5.2f}")
    for role, purpose, referent in (("accueil", "orientation", False),
                                    ("financement", "financement", True),
                                    ("coordination", "statistiques", False)):
        allowed = allowed_fields(policy, role, purpose, SCOPE, referent)
        cost = per_call_us(lambda allowed=allowed: project(FICHE, allowed), loops)
        label = f"project {role}/{purpose}:"
        print(f"{label:<36} {cost:8.2f} µs  ratio {cost / baseline:5.2f}"
              f"  ({len(allowed.paths)} paths)")


if __name__ == "__main__":
    main()
