"""What the duplicate queue's order needs of each item, in a form a database can compare.

An item's probability is told only when both sides disclose every compared field of its
explanation (`disclosed.tells_whole`); its opening, when its new side is consultable. A
side discloses, for a reader of one role, the policy's fields of the first of the role's
purposes the consent covers with a field to show (`FicheDisclosures.allowed`), or nothing
when those fields open no compared field (`disclosed.opens_a_field`). So a side's
disclosure is one of a few sets known from the policy alone, each written here as a mask
of the compared fields it opens (`fields_mask`), and an explanation as the mask of the
fields it compares (`explained_mask`): the probability is told when both sides' masks
hold the explanation's. An explanation that could never be told whole (a field the hub
does not know, or recorded as not told) holds `NEVER_TOLD`, which no side's mask holds.

Example:
    >>> explained_mask({"champs": [{"champ": "nom"}, {"champ": "prenom"}]})
    3
    >>> fields_mask({"porteur.nom", "porteur.nom_naissance", "porteur.prenom"})
    3
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from hub.domain.matching.disclosed import COMPARED_PATHS, field_open, fully_told
from hub.domain.policy import Policy

FIELD_BITS: dict[str, int] = {field: 1 << n for n, field in enumerate(COMPARED_PATHS)}
NEVER_TOLD = 1 << len(COMPARED_PATHS)


def fields_mask(disclosed: Collection[str]) -> int:
    """The compared fields a side disclosing `disclosed` opens (0: none)."""
    return sum(bit for field, bit in FIELD_BITS.items() if field_open(field, disclosed))


def explained_mask(explanation: Mapping[str, Any]) -> int:
    """The compared fields of `explanation` (its `champs`), with `NEVER_TOLD` when it could
    not be told whole whatever the sides disclose."""
    terms = explanation.get("champs", ()) if isinstance(explanation, Mapping) else ()
    mask = 0 if isinstance(explanation, Mapping) and fully_told(explanation) else NEVER_TOLD
    for term in terms:
        field = term.get("champ") if isinstance(term, Mapping) else None
        mask |= FIELD_BITS.get(field, NEVER_TOLD) if isinstance(field, str) else NEVER_TOLD
    return mask


@dataclasses.dataclass(frozen=True)
class PurposeFields:
    """A purpose a side is tried for, and the compared fields it then opens (None: its
    fields open none, and the side is not consultable)."""

    purpose: str
    mask: int | None


def purpose_fields(policy: Policy, role: str, purposes: Sequence[str]) -> list[PurposeFields]:
    """The purposes of `purposes` (in order) under which the policy shows `role` anything
    (not a referent), with what each opens: a consent covering the first of them decides."""
    found = []
    for purpose in purposes:
        paths = policy.role_policy(role, purpose).allowed(False)
        if paths:
            found.append(PurposeFields(purpose, fields_mask(paths) or None))
    return found


@dataclasses.dataclass(frozen=True)
class QueueReader:
    """Who reads the queue (`member` of `role`), what each purpose would show it
    (`purpose_fields`), and when: what a page sorted in the database needs to know."""

    member: str
    role: str
    purposes: tuple[PurposeFields, ...]
    at: dt.datetime
