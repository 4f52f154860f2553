"""Typed records the repositories answer instead of SQLAlchemy rows.

Each is a frozen dataclass (a named tuple for the small ones read in bulk) whose
fields are the columns read, so a service sees what it gets (and a type checker
checks it) without knowing the tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa

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
