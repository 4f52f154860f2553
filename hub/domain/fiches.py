"""Fiche version rules: what a pushed fiche version means against what the hub holds.

A fiche is identified by (member, fiche_id) and versioned by its member. The same
version pushed again with the same content is the same version (idempotency); with
another content it is a conflict; a version older than the current one is stale.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import re
from typing import Any

import orjson

from schemas.numbers import same_numbers

MAX_WITHDRAWALS = 500  # fiche ids a member removes in one call (POST .../withdrawals)


class Outcome(enum.Enum):
    NEW_FICHE = "new_fiche"
    NEW_VERSION = "new_version"
    DUPLICATE = "duplicate"
    CONFLICT = "version_conflict"
    STALE = "stale_version"
    ERASED = "fiche_erased"

    @property
    def accepted(self) -> bool:
        return self in (Outcome.NEW_FICHE, Outcome.NEW_VERSION, Outcome.DUPLICATE)

    @property
    def stores(self) -> bool:
        return self in (Outcome.NEW_FICHE, Outcome.NEW_VERSION)


@dataclasses.dataclass(frozen=True)
class Held:
    """What the hub holds of one fiche: its current version and known version hashes."""

    current_version: int
    version_hashes: dict[int, str]
    erased: bool = False


def decide(held: Held | None, version: int, content_hash: str,
           as_sent_hash: str | None = None) -> Outcome:
    """Classify an incoming fiche version against what the hub holds. `as_sent_hash`,
    the hash of the fiche with its numbers as written, matches versions the hub stored
    before it hashed numbers in one form (docs/protocol.md, "Idempotency")."""
    if held is None:
        return Outcome.NEW_FICHE
    if held.erased:
        return Outcome.ERASED
    known = held.version_hashes.get(version)
    if known is not None:
        same = known in (content_hash, as_sent_hash)
        return Outcome.DUPLICATE if same else Outcome.CONFLICT
    if version < held.current_version:
        return Outcome.STALE
    return Outcome.NEW_VERSION


def receipt_id(member_id: str, fiche_id: str, version: int, content_hash: str) -> str:
    """A deterministic receipt id: the same fiche version always gets the same receipt."""
    key = f"{member_id}\x1f{fiche_id}\x1f{version}\x1f{content_hash}".encode()
    return "rcp_" + hashlib.sha256(key).hexdigest()[:32]


def content_hash(canonical: bytes) -> str:
    return hashlib.sha256(canonical).hexdigest()


# A number as orjson writes a whole float: a digit, ".0", then no digit nor exponent (a
# time's "17.016" or a version's "1.05" are not one; a text holding "1.0" walks for nothing).
_WHOLE_FLOAT = re.compile(rb"[0-9]\.0(?![0-9eE])")


def canonical_hash(document: Any, canonical: bytes | None = None) -> str:
    """The content hash of a fiche: SHA-256 of its sorted-key compact JSON with equal
    numbers written one way (`schemas.numbers.same_numbers`). `canonical` is that JSON as already
    serialised, numbers as sent: the walk runs only when it may hold a whole float."""
    written = canonical if canonical is not None else orjson.dumps(
        document, option=orjson.OPT_SORT_KEYS)
    # orjson writes every whole float up to 2**53 with ".0" (8000.0, -0.0, 1e3 as 1000.0)
    if _WHOLE_FLOAT.search(written):
        written = orjson.dumps(same_numbers(document), option=orjson.OPT_SORT_KEYS)
    return content_hash(written)


OUTCOME_MESSAGES = {
    Outcome.ERASED: (
        "Cette fiche a été effacée à la demande du porteur : le hub n'en accepte plus de "
        "version. S'il revient vers vous, créez une nouvelle fiche avec un nouveau consentement.",
        "This fiche was erased at the porteur's request: the hub accepts no further version. "
        "If the porteur comes back, create a new fiche with a new consent.",
    ),
    Outcome.CONFLICT: (
        "Cette version de la fiche a déjà été reçue avec un autre contenu : "
        "augmentez le numéro de version.",
        "This fiche version was already received with other content: increase the version number.",
    ),
    Outcome.STALE: (
        "Version plus ancienne que la version courante détenue par le hub : "
        "envoyez une version supérieure.",
        "Version older than the hub's current version: send a higher version.",
    ),
}
