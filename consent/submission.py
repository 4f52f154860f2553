"""Checks on a consent submission before it becomes a record (no store access)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from consent.model import parse_time
from hub.errors import FicheNotOwned, InvalidConsent, MalformedNoticeHash
from schemas.loader import FieldError, validator

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CLOCK_SKEW = dt.timedelta(minutes=5)


def notice_hash(text: str) -> str:
    """The notice's fingerprint: SHA-256 of its UTF-8 text, lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_notice_hash(value: Any) -> str:
    if not isinstance(value, str) or not SHA256_HEX.match(value):
        raise MalformedNoticeHash(
            "Empreinte de notice mal formée : attendu un SHA-256 en hexadécimal minuscule "
            "(64 caractères).",
            "Malformed notice hash: expected a lowercase hexadecimal SHA-256 (64 characters).",
        )
    return value


def validate_submission(
    submission: Mapping[str, Any], collected_by: str, now: dt.datetime
) -> dict[str, Any]:
    """The submission as a plain dict once it follows the schema and the rules;
    raises MalformedNoticeHash, InvalidConsent or FicheNotOwned otherwise."""
    if not isinstance(submission, Mapping):
        raise _invalid([FieldError("$", "type", "Le consentement doit être un objet JSON.",
                                   "The consent must be a JSON object.")])
    document = dict(submission)
    require_collector(document, collected_by)
    notice = document.get("notice")
    if isinstance(notice, Mapping) and "empreinte" in notice:
        check_notice_hash(notice["empreinte"])
    errors = validator("consent").errors(document)
    if errors:
        raise _invalid(errors)
    _check_times(document, now)
    return document


def require_collector(submission: Any, collected_by: str) -> None:
    """FicheNotOwned (403) when the submission's `membre` is another member's id, whatever
    else it holds: decided before its schema (a `membre` that is not a text is a schema
    error)."""
    member = submission.get("membre") if isinstance(submission, Mapping) else None
    if isinstance(member, str) and member != collected_by:
        raise FicheNotOwned(
            "Un membre ne peut enregistrer un consentement que pour ses propres fiches "
            "(« membre » doit être l'appelant).",
            "A member may only record consents for its own fiches ('membre' must be the caller).",
        )


def _check_times(document: Mapping[str, Any], now: dt.datetime) -> None:
    collected_at = parse_time(document["recueilli_le"])
    expires_at = parse_time(document["expire_le"])
    problems = []
    if collected_at > now + CLOCK_SKEW:
        problems.append(FieldError("$.recueilli_le", "in_future",
                                   "La date de recueil est dans le futur.",
                                   "The collection date is in the future."))
    if expires_at <= max(collected_at, now):
        problems.append(FieldError("$.expire_le", "already_expired",
                                   "La date d'expiration doit être postérieure au recueil "
                                   "et à maintenant.",
                                   "The expiry must be later than the collection and than now."))
    if problems:
        raise _invalid(problems)


def _invalid(errors: list[FieldError]) -> InvalidConsent:
    return InvalidConsent(
        "Le consentement ne respecte pas le schéma consent.v1 : corrigez les champs indiqués.",
        "The consent does not follow the consent.v1 schema: fix the listed fields.",
        field_errors=[e.to_dict() for e in errors],
    )
