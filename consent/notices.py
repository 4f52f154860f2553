"""Information notices a member registers: checks on a submission (no store access).

A notice is content-addressed: its fingerprint is the SHA-256 of its UTF-8 text, and
a text is stored once. Registering the same text again with the same language and
purposes answers the stored notice (safe retries); with other terms it is refused,
since a consent cites the notice by version and fingerprint only.

A version is drawn at random (`new_version`), not counted: one network-wide counter let
a member registering two notices learn how many the others registered in between.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from consent.model import Notice
from consent.submission import notice_hash
from hub.errors import InvalidNotice, NoticeConflict, NoticePurposesMismatch
from schemas.loader import FieldError, validator

MAX_VERSION = 2**31 - 1  # the version column and schemas/notice.v1.json are 32-bit


def new_version() -> int:
    """A version for a new notice: opaque, uniform over 1..MAX_VERSION (a collision with a
    stored one is retried by the store)."""
    return secrets.randbelow(MAX_VERSION) + 1


def draft_notice(submission: Any, member_id: str | None, now: dt.datetime) -> Notice:
    """The notice a submission describes (version 0 until stored); InvalidNotice if it
    does not follow schemas/notice_submission.v1.json."""
    errors = validator("notice_submission").errors(submission)
    if errors:
        raise InvalidNotice(
            "La notice ne respecte pas le schéma notice_submission.v1 : corrigez les champs "
            "indiqués.", "The notice does not follow the notice_submission.v1 schema: fix "
            "the listed fields.", field_errors=[e.to_dict() for e in errors])
    text = submission["texte"]
    return Notice(0, notice_hash(text), text, now, member_id, submission["langue"],
                  frozenset(submission["finalites"]))


def check_same_terms(stored: Notice, draft: Notice) -> Notice:
    if not stored.same_terms(draft):
        raise NoticeConflict(
            f"Ce texte est déjà enregistré (version {stored.version}) avec une autre langue ou "
            "d'autres finalités : citez cette version, ou modifiez le texte.",
            f"This text is already registered (version {stored.version}) with another "
            "language or other purposes: cite that version, or change the text.")
    return stored


def check_purposes_informed(notice: Notice, purposes: list[str]) -> None:
    """A porteur consents only to purposes the notice shown to them informed of."""
    if notice.purposes is not None and not set(purposes) <= notice.purposes:
        missing = sorted(set(purposes) - notice.purposes)
        raise NoticePurposesMismatch(
            "Le consentement cite des finalités que la notice n'annonce pas "
            f"({', '.join(missing)}) : enregistrez une notice qui les annonce.",
            "The consent names purposes the notice does not inform of "
            f"({', '.join(missing)}): register a notice that does.",
            field_errors=[FieldError("$.finalites", "not_in_notice",
                                     "Finalité absente de la notice.",
                                     "Purpose absent from the notice.").to_dict()])
