"""Typed records the repositories answer instead of SQLAlchemy rows.

Each is a frozen dataclass (a named tuple for the small ones read in bulk) whose
fields are the columns read, so a service sees what it gets (and a type checker
checks it) without knowing the tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa

from hub.domain.matching.record import NormalisedRecord

R = TypeVar("R")


def record_of(kind: Callable[..., R], row: sa.Row[Any] | None) -> R | None:
    """The row as a `kind` record (None for no row); the row's columns are its fields."""
    return None if row is None else kind(**row._mapping)


@dataclasses.dataclass(frozen=True)
class Member:
    """A member of the network and its credentials (token hashes, never tokens)."""

    id: str
    name: str
    kind: str
    role: str
    contact_email: str
    webhook_url: str | None
    territory: list[str]
    token_hash: str | None
    public_key: str | None
    previous_token_hash: str | None
    previous_public_key: str | None
    previous_valid_until: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    status: str = "active"  # or "left" (hub.services.accounts.departures)
    left_at: dt.datetime | None = None
    left_by: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclasses.dataclass(frozen=True)
class Auditor:
    """A member's DPO credential: reads the audit log only, within `scope`."""

    member_id: str
    scope: str
    token_hash: str
    public_key: str
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class User:
    """A console account (coordinator or DPO)."""

    id: str
    login: str
    role: str
    password_hash: str
    active: bool
    failed_attempts: int
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class UserSession:
    """A console session (its token's hash) with the account it belongs to."""

    token_hash: str
    user_id: str
    csrf_token: str
    created_at: dt.datetime
    expires_at: dt.datetime
    login: str
    role: str
    active: bool


@dataclasses.dataclass(frozen=True)
class IntegrityCheck:
    """One verification of the audit log from the DPO console, and its result."""

    id: int
    checked_at: dt.datetime
    user_id: str
    ok: bool
    entries: int
    heads: int
    verified_size: int
    first_bad_seq: int | None
    summary: str


@dataclasses.dataclass(frozen=True)
class Erasure:
    """An erasure request: who asked, for which porteur or fiche, when (never what)."""

    id: str
    porteur_id: str | None
    scope: str  # "porteur" or "fiche"
    requested_by: str
    reference_sha256: str | None
    fiches: int
    requested_at: dt.datetime
    fiches_told: int | None = None  # of `fiches`, those the coordination asking is told of


@dataclasses.dataclass(frozen=True)
class ErasureRequest:
    """A member's erasure request as put to another owner of a fiche of the porteur."""

    erasure_id: str
    owner_id: str
    status: str  # "pending", "confirmed" or "declined"
    named_to_requester: bool
    requester_named: bool
    motif: str | None
    precision: str | None
    answered_at: dt.datetime | None
    answered_by: str | None
    done_erasure_id: str | None
    fiche_pks: list[int]
    key_fiche_pk: int | None = None  # the fiche whose data key seals `precision`


@dataclasses.dataclass(frozen=True)
class MeetingAction:
    """What the monthly meeting decided for a porteur (a referent asked, a sponsor, a
    case to discuss) and how it was answered."""

    id: int
    porteur_id: str
    kind: str  # referent | parrain | a_voir
    member_id: str | None
    parrain: str | None
    note: str | None
    status: str
    created_by: str
    created_at: dt.datetime
    answered_at: dt.datetime | None
    answer_note: str | None


class EndedConsent(NamedTuple):
    """A withdrawn or expired consent as the DPO's consents page lists it."""

    consent_id: str
    member_id: str
    status: str
    ended_at: dt.datetime


class FicheRef(NamedTuple):
    """Which fiche (its key, its owner and the owner's id) and which porteur it is of."""

    id: int
    member_id: str
    fiche_id: str
    porteur_id: str | None


class OutboxItem(NamedTuple):
    """A claimed outbox row: what to do (`topic`) with which row (`ref_id`)."""

    id: int
    topic: str
    ref_id: int


class DecidedPair(NamedTuple):
    """A pair of porteurs the coordination set aside or judged different."""

    id: int
    porteur_id: str
    candidate_porteur_id: str
    status: str
    probability: float
    decided_at: dt.datetime | None


def opened(kind: Callable[..., R], row: sa.Row, payload: str | None) -> R:
    """The row as a `kind` record whose `payload` is the opened (clear) one."""
    return kind(**{**row._mapping, "payload": payload})


class Receipt(NamedTuple):
    """What the hub answered when it stored a fiche version (for a duplicate push)."""

    fiche_pk: int
    version: int
    receipt_id: str
    content_hash: str
    received_at: dt.datetime


class StoredFiche(NamedTuple):
    """A fiche with its current version's clear payload (None once erased)."""

    id: int
    member_id: str
    fiche_id: str
    current_version: int
    processed_version: int | None
    porteur_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    payload: str | None
    received_at: dt.datetime
    consent_id: str | None = None  # the consent its current version cites ("": none)
    coordination_version: int | None = None  # the console's dated version (migration 0063)


class VersionToProcess(NamedTuple):
    """A received fiche version the worker has to process, payload opened."""

    version_id: int
    version: int
    payload: str | None
    member_id: str
    fiche_id: str
    fiche_pk: int
    porteur_id: str | None
    processed_version: int | None


class FicheSource(NamedTuple):
    """One version of a fiche (`id` is the fiche's key) with its clear payload."""

    id: int
    member_id: str
    fiche_id: str
    version: int
    payload: str | None
    # The consent the fiche's CURRENT version cites (`fiches.consent_id`): the consent in
    # force for every version of the fiche; "" none, None a fiche pushed before 0053.
    consent_in_force: str | None = None


FicheSources = dict[tuple[int, int], FicheSource]  # by (fiche_pk, version)


class Delivery(NamedTuple):
    """A delivery to a member (webhook or feed), its payload opened (None: erased)."""

    id: int
    recipient_id: str
    position: int
    event: str
    porteur_id: str
    fiche_pk: int | None
    fiche_version: int | None
    purpose: str
    policy_version: str
    fields: Any  # the JSON list of the fields disclosed
    payload: str | None
    idempotency_key: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    retrying_since: dt.datetime | None
    deletion_asked: str | None = None  # the notice that asked its recipient to delete it
    refused_in_a_row: int = 0  # the 500s it got in a row (hub.domain.webhook_line)
    passed_at: dt.datetime | None = None  # when its line went on past it

    @property
    def document(self) -> str:
        """The clear payload of a delivery that may be read or sent (`coverage`
        refuses an erased one before)."""
        assert self.payload is not None, "an erased delivery is never read nor sent"
        return self.payload

    def source_in(self, sources: Mapping[tuple[int, int], FicheSource]) -> FicheSource | None:
        """The fiche version this delivery disclosed, among `sources` (None: a notice)."""
        if self.fiche_pk is None or self.fiche_version is None:
            return None
        return sources.get((self.fiche_pk, self.fiche_version))


class DispatchLease(NamedTuple):
    """Who may send a recipient's webhooks, and until when."""

    dispatch_lease_until: dt.datetime | None
    dispatch_lease_owner: str | None


class Subscription(NamedTuple):
    """A member's subscription criteria (JSON) and where they were set."""

    id: int
    member_id: str
    criteria: Any
    source: str
    updated_at: dt.datetime


class DecidedLink(NamedTuple):
    """A fiche linked to a porteur by a duplicate decision (not as a new porteur)."""

    porteur_id: str
    method: str
    linked_at: dt.datetime
    unlinked_at: dt.datetime | None
    fiche_pk: int


class MergeEvent(NamedTuple):
    """A merge or an unmerge of two porteurs, who made it and when."""

    id: int
    kind: str
    porteur_id: str
    other_porteur_id: str
    fiche_pks: Any  # the JSON list of the fiches moved
    review_item_id: int | None
    actor: str
    at: dt.datetime
    actor_user: str | None = None  # the console account that decided (None: through the API)
    kept_fiche_pks: Any = None  # a merge: the JSON list of the kept porteur's fiches then
    meeting_action_ids: Any = None  # a merge: the JSON list of the absorbed porteur's actions


class ClosedReview(NamedTuple):
    """A review item closed otherwise than by a merge ("different" or "unknown"); a
    porteur the reader is not told (its side not consultable) reads None."""

    id: int
    porteur_id: str | None
    candidate_porteur_id: str | None
    status: str
    decided_at: dt.datetime | None


class IndexMarks(NamedTuple):
    """How far the porteur search index has followed the store's changes."""

    id: int
    fiche_time: dt.datetime | None
    link_id: int
    link_time: dt.datetime | None
    consent_state_id: int
    checked_at: dt.datetime | None
    built_for: str | None


class MatchRecord(NamedTuple):
    """A fiche's entry in the matching index, its identity opened (None: never read so)."""

    fiche_pk: int
    porteur_id: str
    identity: dict[str, Any]
    indexed_at: dt.datetime


class IndexedRecord(NamedTuple):
    """A candidate read from the matching index: its fiche, porteur and normalised record."""

    fiche_pk: int
    porteur_id: str
    record: NormalisedRecord


class ReviewItem(NamedTuple):
    """A pair of fiches waiting for (or closed by) a coordinator's decision."""

    id: int
    fiche_pk: int
    porteur_id: str
    candidate_fiche_pk: int
    candidate_porteur_id: str
    probability: float
    explanation: Any  # the JSON explanation of the pair's score
    status: str
    opened_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    explained_fields: int | None = None  # `told_fields.explained_mask` (None: not yet)
    revision: int = 1  # one more at each scoring again on a new version of a side


class FicheHead(NamedTuple):
    """Owner, reference, porteur and current payload (opened; None once erased) of a fiche."""

    id: int
    member_id: str
    fiche_id: str
    current_version: int
    porteur_id: str | None
    payload: str | None


class LabelledPair(NamedTuple):
    """A judged pair with both identities opened: training data of the matching model."""

    decision: str
    left_pk: int
    left: dict[str, Any]
    right_pk: int
    right: dict[str, Any]
