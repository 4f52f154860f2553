"""What a pair's explanation may tell a reader who sees each side only as far as the
consent and the policy open it.

A field's level compares the two sides' values: told to someone who may not see one
side's value, "identique" gives it away (it is the other side's), and "absent à droite"
whether it is filled. So a compared field is told only where both sides disclose every
path its comparison reads; of a side disclosed not at all, nothing is told but the
pair's overall probability (no field, no level, no flag: each flag's line says which
fields agree).

Nor is a hidden field's weight told in any other way: the a priori, the total and the
probability less the fields told would give the hidden fields' points (whether the hidden
e-mail or phone agree, or are filled). An explanation not told whole carries neither the
a priori, nor the total, nor the probability; the item that holds it gives no
probability either (`told_probability`).

Nor is why a side stopped being consultable told: an item closed because a side left the
matching index (its consent withdrawn or expired, the fiche erased) reads one status,
`SIDE_LEFT_STATUS`, with no time, whatever the reason (the coordination would learn that
the person withdrew, rather than asked for erasure, and when). Nor is a new version of a
side hidden from the reader: an item scored again on it keeps telling what it told, and
one it closed (`UNMATCHED_STATUS`) reads as a side that left (`told_status`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from hub.domain.matching.model import Explanation, FieldTerm, weight_fr

# The fiche paths each compared field's comparison reads (`record.normalise_record`).
COMPARED_PATHS: dict[str, tuple[str, ...]] = {
    "nom": ("porteur.nom", "porteur.nom_naissance"),
    "prenom": ("porteur.prenom",),
    "date_naissance": ("porteur.date_naissance",),
    "courriel": ("porteur.courriel",),
    "telephone": ("porteur.telephone",),
    "adresse": ("porteur.adresse.ligne", "porteur.adresse.code_postal",
                "porteur.adresse.commune"),
    "lieu": ("porteur.adresse.code_postal", "porteur.adresse.commune"),
}
# The status of an item closed because one of its sides left the matching index.
SIDE_LEFT_STATUS = "side_closed"
# The status of an item the worker scored again on a new version of a side and found no
# longer a candidate; told as `SIDE_LEFT_STATUS` to a reader who may not see both sides
# (`told_status`).
UNMATCHED_STATUS = "unmatched"
# The keys of an explanation as told: a side not consultable at all; fields left untold.
SIDE_CLOSED_KEY = "cote_non_consultable"
FIELDS_HIDDEN_KEY = "champs_non_consultables"
FIELDS_HIDDEN_FR = ("champs non consultables : des champs d'une des deux fiches ne sont pas "
                    "ouverts à la coordination ; ni leur comparaison, ni le total, ni la "
                    "probabilité ne sont montrés")
SIDE_CLOSED_FR = ("côté non consultable : une des deux fiches n'est pas ouverte à la "
                  "coordination (consentement et politique du réseau) ; rien n'en est comparé ici")


def told_explanation(explanation: Mapping[str, Any], left: Collection[str] | None,
                     right: Collection[str] | None) -> dict[str, Any]:
    """The explanation (`Explanation.to_dict` form) as a reader seeing `left` and `right`
    (the paths each side discloses, None for a side refused) may be told it, with its
    French `lignes`. An item recorded with no explanation (no `champs`) tells no field."""
    if left is None or right is None:
        return {"probabilite": None, "champs": [], SIDE_CLOSED_KEY: True,
                "lignes": [SIDE_CLOSED_FR]}
    if "champs" not in explanation:
        return {**explanation, "champs": [], "lignes": []}
    terms = [FieldTerm.from_dict(t) for t in explanation["champs"]
             if field_open(t["champ"], left) and field_open(t["champ"], right)]
    if len(terms) == len(explanation["champs"]):
        return {**explanation, "lignes": Explanation.from_dict(dict(explanation)).lines_fr()}
    return {"probabilite": None, "champs": [t.to_dict() for t in terms], FIELDS_HIDDEN_KEY: True,
            "lignes": [FIELDS_HIDDEN_FR] + [f"{t.field} : {t.label_fr()}, {weight_fr(t.weight)}"
                                            for t in terms]}


def told_probability(probability: float, told: Mapping[str, Any]) -> float | None:
    """The item's probability as told beside its explanation as told: None unless the
    explanation was told whole (the probability less the fields told is the hidden
    fields' weight)."""
    return round(probability, 6) if fully_told(told) else None


def tells_whole(explanation: Mapping[str, Any], left: Collection[str] | None,
                right: Collection[str] | None) -> bool:
    """`fully_told(told_explanation(explanation, left, right))`, without telling it: what
    the queue's order needs of every open item (no term read, no line written)."""
    if left is None or right is None:
        return False
    if not all(field_open(term["champ"], left) and field_open(term["champ"], right)
               for term in explanation.get("champs", ())):
        return False
    return fully_told(explanation)


def field_open(field: str, disclosed: Collection[str]) -> bool:
    """Whether a side disclosing `disclosed` shows every path the field's comparison reads
    (a field the hub does not know: never)."""
    paths = COMPARED_PATHS.get(field)
    return paths is not None and all(path in disclosed for path in paths)


def opens_a_field(disclosed: Collection[str]) -> bool:
    """Whether a side disclosing `disclosed` shows any compared field at all."""
    return any(field_open(field, disclosed) for field in COMPARED_PATHS)


def fully_told(explanation: Mapping[str, Any]) -> bool:
    """Whether an explanation as told (`told_explanation`) left nothing out."""
    return not explanation.get(SIDE_CLOSED_KEY) and not explanation.get(FIELDS_HIDDEN_KEY)


def told_status(status: str, both_consultable: bool) -> str:
    """An item's status as told to a reader: one closed by a new version of a side it may
    not see reads as one a side left (`SIDE_LEFT_STATUS`), not as a change of that side."""
    return SIDE_LEFT_STATUS if status == UNMATCHED_STATUS and not both_consultable else status
