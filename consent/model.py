"""Consent records: immutable facts plus an append-only history of states.

A `ConsentRecord` never changes once recorded; withdrawal and expiry are new
`StateChange`s appended to its history (a new record value is returned, the
old one is not modified). The status at a given time is computed, not stored.

Vocabulary follows ISO/IEC TS 27560 (consent record) and the Kantara consent
receipt: the collecting member is the controller that obtained the consent, the
notice is the information shown to the porteur, the proof is the reference of
the evidence kept by the collector.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Iterable
from typing import Any

PURPOSES = frozenset({"orientation", "accompagnement", "financement", "statistiques"})
ROLES = frozenset({"accueil", "accompagnement", "financement", "coordination"})
MODES = frozenset({"formulaire_papier", "courriel", "formulaire_web", "entretien"})
PROOF_TYPES = frozenset({"scan_sha256", "message_id", "autre"})
HUB_ACTOR = "hub"


class Status(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


@dataclasses.dataclass(frozen=True)
class StateChange:
    """One entry of a consent's history: the state it entered, when, and on whose word."""

    state: Status
    at: dt.datetime
    by: str


@dataclasses.dataclass(frozen=True)
class Scope:
    """What a consent lets move: purposes, recipient roles and, if any, named members.

    An empty `members` means "any member holding one of `roles`".
    """

    purposes: frozenset[str]
    roles: frozenset[str]
    members: frozenset[str]


@dataclasses.dataclass(frozen=True)
class Notice:
    """A stored version of the information notice shown to porteurs: the member that
    registered it (None: the operator), its language and the purposes it informs of
    (None: registered before purposes were recorded, so it limits none)."""

    version: int
    sha256: str
    text: str
    stored_at: dt.datetime
    member_id: str | None = None
    language: str = "fr"
    purposes: frozenset[str] | None = None

    def as_document(self) -> dict[str, Any]:
        purposes = None if self.purposes is None else sorted(self.purposes)
        return {"version": self.version, "empreinte": self.sha256, "texte": self.text,
                "enregistree_le": iso(self.stored_at), "membre": self.member_id,
                "langue": self.language, "finalites": purposes}

    def same_terms(self, other: Notice) -> bool:
        return (self.language, self.purposes) == (other.language, other.purposes)


@dataclasses.dataclass(frozen=True)
class ConsentRecord:
    """A porteur's consent as recorded by the hub (see schemas/consent.v1.json)."""

    id: str
    reference: str
    member_id: str
    fiche_id: str
    agent: str
    collected_at: dt.datetime
    mode: str
    notice_version: int
    notice_sha256: str
    purposes: frozenset[str]
    roles: frozenset[str]
    members: frozenset[str]
    expires_at: dt.datetime
    proof_type: str
    proof_value: str
    recorded_at: dt.datetime
    history: tuple[StateChange, ...] = ()

    @functools.cached_property
    def _withdrawal_time(self) -> dt.datetime | None:
        return next((c.at for c in self.history if c.state is Status.WITHDRAWN), None)

    @property
    def withdrawn(self) -> bool:
        """True once any withdrawal is recorded, whatever the clocks of the readers say."""
        return self._withdrawal_time is not None

    def withdrawn_at(self) -> dt.datetime | None:
        return self._withdrawal_time

    def status(self, at: dt.datetime) -> Status:
        """The status at time `at`: a withdrawal dated at or before `at` wins over expiry."""
        withdrawn_at = self._withdrawal_time
        if withdrawn_at is not None and withdrawn_at <= at:
            return Status.WITHDRAWN
        if at >= self.expires_at:
            return Status.EXPIRED
        return Status.ACTIVE

    def with_change(self, change: StateChange) -> ConsentRecord:
        """A new record value with `change` appended; this one is left as it was."""
        return dataclasses.replace(self, history=(*self.history, change))

    def _proof(self) -> dict[str, Any]:
        if self.proof_value == FORGOTTEN_PROOF:  # erased with its fiche
            return {"type": self.proof_type, "valeur": "", "effacee": True}
        return {"type": self.proof_type, "valeur": self.proof_value}

    def as_document(self, now: dt.datetime) -> dict[str, Any]:
        """The record as the API shows it: submission fields plus id, status and history."""
        document: dict[str, Any] = {
            "id": self.id, "reference": self.reference, "membre": self.member_id,
            "fiche_id": self.fiche_id, "agent": self.agent,
            "recueilli_le": iso(self.collected_at), "mode": self.mode,
            "notice": {"version": self.notice_version, "empreinte": self.notice_sha256},
            "finalites": sorted(self.purposes), "roles_destinataires": sorted(self.roles),
            "expire_le": iso(self.expires_at),
            "preuve": self._proof(),
            "enregistre_le": iso(self.recorded_at), "statut": self.status(now).value,
            "historique": [
                {"etat": c.state.value, "le": iso(c.at), "par": c.by} for c in self.history
            ],
        }
        if self.members:
            document["membres_destinataires"] = sorted(self.members)
        return document


def scope(consent: ConsentRecord) -> Scope:
    """What the projection needs from a consent: purposes, roles and named members."""
    return Scope(consent.purposes, consent.roles, consent.members)


def record_from_submission(
    submission: dict[str, Any], consent_id: str, recorded_at: dt.datetime
) -> ConsentRecord:
    """Build a record from a submission already validated against the consent schema."""
    notice, proof = submission["notice"], submission["preuve"]
    return ConsentRecord(
        id=consent_id, reference=submission["reference"], member_id=submission["membre"],
        fiche_id=submission["fiche_id"], agent=submission["agent"],
        collected_at=parse_time(submission["recueilli_le"]), mode=submission["mode"],
        notice_version=int(notice["version"]), notice_sha256=notice["empreinte"],
        purposes=frozenset(submission["finalites"]),
        roles=frozenset(submission["roles_destinataires"]),
        members=frozenset(submission.get("membres_destinataires", ())),
        expires_at=parse_time(submission["expire_le"]),
        proof_type=proof["type"], proof_value=proof["valeur"], recorded_at=recorded_at,
        history=(StateChange(Status.ACTIVE, recorded_at, submission["membre"]),),
    )


def same_terms(a: ConsentRecord, b: ConsentRecord) -> bool:
    """True when two records state the same consent (ids, record times and history aside)."""
    ignored = {"id", "recorded_at", "history"}
    fields = [f.name for f in dataclasses.fields(ConsentRecord) if f.name not in ignored]
    return all(getattr(a, name) == getattr(b, name) for name in fields)


def takes_away(before: ConsentRecord, after: ConsentRecord) -> bool:
    """Whether `after` lets less move than `before` in any way: a purpose or a recipient
    role left out, recipients named where any member of the roles could receive (or fewer
    named), an earlier end. A consent that only widens takes nothing away."""
    if before.purposes - after.purposes or before.roles - after.roles:
        return True
    if after.members and (not before.members or before.members - after.members):
        return True
    return after.expires_at < before.expires_at


def as_stored(consent: ConsentRecord) -> dict[str, Any]:
    """The record, history included, as JSON values (`from_stored` reads it back)."""
    document = {f.name: getattr(consent, f.name) for f in dataclasses.fields(ConsentRecord)}
    document.update(
        purposes=sorted(consent.purposes), roles=sorted(consent.roles),
        members=sorted(consent.members),
        history=[[c.state.value, iso(c.at), c.by] for c in consent.history],
        **{name: iso(getattr(consent, name))
           for name in ("collected_at", "expires_at", "recorded_at")})
    return document


def from_stored(document: dict[str, Any]) -> ConsentRecord:
    values = dict(document)
    values.update(
        purposes=frozenset(values["purposes"]), roles=frozenset(values["roles"]),
        members=frozenset(values["members"]),
        history=tuple(StateChange(Status(state), parse_time(at), by)
                      for state, at, by in values["history"]),
        **{name: parse_time(values[name])
           for name in ("collected_at", "expires_at", "recorded_at")})
    return ConsentRecord(**values)


FORGOTTEN_PROOF = ""  # no proof given has it (`preuve.valeur`: 1 character at least)
TEXTLESS_PROOF = "scan_sha256"  # a proof that is a hash already


def forgotten_proof(value: str) -> str:
    """What a proof given as text becomes once its fiche is erased: nothing. A digest
    of it (SHA-256 kept before) would let whoever reads the consent, or a copy of the
    store, confirm a guessed text; the member keeps its text and its receipt."""
    del value
    return FORGOTTEN_PROOF


def parse_time(value: str) -> dt.datetime:
    """An RFC 3339 date-time with offset (its t and z in either case), as an aware UTC
    datetime."""
    return dt.datetime.fromisoformat(value.upper()).astimezone(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; naive values (SQLite drops the offset) are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def iso(value: dt.datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def sorted_history(changes: Iterable[StateChange]) -> tuple[StateChange, ...]:
    order = {Status.ACTIVE: 0, Status.EXPIRED: 1, Status.WITHDRAWN: 1}
    return tuple(sorted(changes, key=lambda c: (order[c.state], c.at)))


class NoticeKind(enum.StrEnum):
    """Why a recipient is asked to delete what it received."""

    WITHDRAWAL = "withdrawal"
    EXPIRY = "expiry"
    ERASURE = "erasure"
    ERASURE_REQUEST = "erasure_request"  # another member's erasure request, to answer


class AckStatus(enum.StrEnum):
    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    OVERDUE = "overdue"


@dataclasses.dataclass(frozen=True)
class NoticeAck:
    """A withdrawal, expiry or erasure notice sent to one recipient, and its answer.

    `subject_id` is the consent id (withdrawal, expiry) or the porteur id (erasure).
    """

    kind: NoticeKind
    subject_id: str
    recipient_id: str
    sent_at: dt.datetime
    acknowledged_at: dt.datetime | None = None
    # Whether the consent's collector (the erasure's requester) is told of this recipient
    # (hub.services.privacy.discretion), decided when the notice was sent, so that the
    # answer stays the same once the fiche is gone; None: sent before this was recorded.
    named: bool | None = None

    def status(self, now: dt.datetime, delay: dt.timedelta) -> AckStatus:
        if self.acknowledged_at is not None:
            return AckStatus.ACKNOWLEDGED
        if now >= self.sent_at + delay:
            return AckStatus.OVERDUE
        return AckStatus.PENDING
