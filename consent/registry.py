"""The consent registry port: the one interface through which the hub uses consent.

`ConsentRegistry` holds the rules (validation, idempotent recording, one
withdrawal, expiry, the cached consent check); subclasses only store and load:
`tests.fakes.consent_registry.InMemoryConsentRegistry` for unit tests, `consent.sql.SqlConsentRegistry`
for the hub. Records are never overwritten: a withdrawal or an expiry is a new
state row, and the change counter read by `consent.cache.RecordCache` moves.
"""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from consent.cache import RecordCache
from consent.decision import Decision, may_receive
from consent.model import (
    HUB_ACTOR,
    ConsentRecord,
    Notice,
    NoticeAck,
    NoticeKind,
    StateChange,
    Status,
    record_from_submission,
    same_terms,
)
from consent.notices import check_purposes_informed, check_same_terms, draft_notice
from consent.submission import check_notice_hash, notice_hash, validate_submission
from hub.errors import (
    BadRequest,
    ConsentAlreadyWithdrawn,
    ConsentNotFound,
    ConsentOfAnotherPorteur,
    DuplicateConsentReference,
    NoticeHashMismatch,
    UnknownConsentReference,
    UnknownNotice,
)

Clock = Callable[[], dt.datetime]
FicheKey = tuple[str, str]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_consent_id() -> str:
    return f"cns_{uuid.uuid4().hex}"


class ConsentRegistry(abc.ABC):
    def __init__(self, clock: Clock = utc_now, *, refresh_every: float = 1.0) -> None:
        self.clock = clock
        self._cache = RecordCache(self._change_version, refresh_every=refresh_every)

    # -- recording and reading -------------------------------------------------------

    def record(self, submission: Mapping[str, Any], collected_by: str) -> ConsentRecord:
        """Record a consent submitted by member `collected_by` (see `register`)."""
        return self.register(submission, collected_by)[0]

    def register(self, submission: Mapping[str, Any],
                 collected_by: str) -> tuple[ConsentRecord, bool]:
        """Record a consent submitted by member `collected_by`: the record as stored (not
        as its numbers were written, `1.0` for `1`) and whether it is new. Sending the same
        consent again returns the first record, not new (safe retries); a different one
        under the same reference is refused."""
        now = self.clock()
        document = validate_submission(submission, collected_by, now)
        notice = self._check_notice(document["notice"]["version"], document["notice"]["empreinte"])
        check_purposes_informed(notice, document["finalites"])
        candidate = record_from_submission(document, new_consent_id(), now)
        existing = self._find_reference(candidate.member_id, candidate.reference)
        created = False
        if existing is None:
            added = self._add(candidate)  # another request's record when it won the race
            created = added.id == candidate.id
            existing = self._load(added.id) or added
        if not same_terms(existing, candidate):
            raise DuplicateConsentReference(
                "Cette référence désigne déjà un autre consentement : choisissez-en une nouvelle.",
                "This reference already names another consent: choose a new one.",
            )
        return existing, created

    def get(self, consent_id: str) -> ConsentRecord:
        consent = self._load(consent_id)
        if consent is None:
            raise ConsentNotFound()
        return consent

    def by_reference(self, member_id: str, reference: str) -> ConsentRecord:
        consent = self._find_reference(member_id, reference)
        if consent is None:
            raise _unknown_reference()
        return consent

    def of_references(self, member_id: str, references: Iterable[str]) -> dict[str, ConsentRecord]:
        """The consents `member_id` recorded under any of `references` (one query), by
        reference; a reference of another member is not looked at."""
        return self._find_references(member_id, sorted(set(references)))

    def prefetch(self, fiches: Iterable[FicheKey]) -> None:
        """Load the consents of many fiches in one query into the cache, so that the
        checks that follow (one per recipient) are dictionary lookups."""
        self.remember(self.for_porteur(fiches))

    def remember(self, records: Iterable[ConsentRecord]) -> None:
        """Cache records the caller has just read (`prefetch`, or the worker's read of the
        consents its fiches cite): the checks that follow are dictionary lookups. A
        withdrawn record is not cached: its check reads it again."""
        for consent in records:
            if not consent.withdrawn:
                self._cache.put(("ref", consent.member_id, consent.reference), consent)
                self._cache.put(("id", consent.id), consent)

    def consent_for_fiche(self, member_id: str, fiche_id: str,
                          reference: str | None) -> ConsentRecord:
        """The consent a member's fiche cites in `consentement.reference` (cached).

        Raises UnknownConsentReference (also when the fiche cites none), or
        ConsentOfAnotherPorteur when the reference was recorded for another fiche of
        the member."""
        if reference is None:
            raise _unknown_reference()
        consent = self._cache.get(("ref", member_id, reference),
                                  lambda: self._find_reference(member_id, reference))
        if consent is None:
            raise _unknown_reference()
        if consent.fiche_id != fiche_id:
            raise ConsentOfAnotherPorteur(
                "Ce consentement a été recueilli pour une autre fiche, donc un autre porteur.",
                "This consent was collected for another fiche, hence another porteur.",
            )
        return consent

    # -- the consent check ------------------------------------------------------------

    def decide(self, consent_id: str | None, recipient_member_id: str, recipient_role: str,
               purpose: str, now: dt.datetime | None = None) -> Decision:
        """`may_receive` on the cached record `consent_id` (None: no consent)."""
        consent = None
        if consent_id is not None:
            consent = self._cache.get(("id", consent_id), lambda: self._load(consent_id))
        return may_receive(consent, recipient_member_id, recipient_role, purpose,
                           now or self.clock())

    def decide_for_fiche(self, member_id: str, fiche_id: str, reference: str | None,
                         recipient_member_id: str, recipient_role: str, purpose: str,
                         now: dt.datetime | None = None) -> Decision:
        """`may_receive` for the consent a fiche cites; an absent, unknown or foreign
        reference answers `consent_missing` (never raises: nothing is disclosed)."""
        return self.decide_on(self.cited_consent(member_id, fiche_id, reference),
                              recipient_member_id, recipient_role, purpose, now)

    def cited_consent(self, member_id: str, fiche_id: str,
                      reference: str | None) -> ConsentRecord | None:
        """The consent a fiche cites (cached), or None where `decide_for_fiche` answers
        `consent_missing` (no reference, an unknown or a foreign one): looked up once for
        the many checks of one fiche (one a recipient and purpose, `decide_on`)."""
        if reference is None:
            return None
        try:
            return self.consent_for_fiche(member_id, fiche_id, reference)
        except (UnknownConsentReference, ConsentOfAnotherPorteur):
            return None

    def in_force(self, consent_id: str) -> ConsentRecord | None:
        """The consent a fiche's current version cites, by its id (`fiches.consent_id`:
        "" when none), cached: the consent in force for every version of the fiche."""
        if not consent_id:
            return None
        return self._cache.get(("id", consent_id), lambda: self._load(consent_id))

    def decide_on(self, consent: ConsentRecord | None, recipient_member_id: str,
                  recipient_role: str, purpose: str, now: dt.datetime | None = None) -> Decision:
        """`may_receive` on a consent already looked up (`cited_consent`; None: none)."""
        return may_receive(consent, recipient_member_id, recipient_role, purpose,
                           now or self.clock())

    def put_back_within(self, conn: Any, consent: ConsentRecord) -> bool:
        """A restore: record `consent` again as it was, history included, in the caller's
        transaction on `conn` (False: the store holds it already)."""
        if not self._put_back(consent, conn):
            return False
        self._cache.invalidate()
        return True

    # -- withdrawal and expiry --------------------------------------------------------

    def withdraw(self, consent_id: str, by_member: str, at: dt.datetime, *,
                 within: Any = None) -> ConsentRecord:
        """Record the porteur's withdrawal, relayed by `by_member`; effective at once (with
        `within`: in the caller's transaction on that connection, with what it entails)."""
        consent = self.get(consent_id)
        change = StateChange(Status.WITHDRAWN, at, by_member)
        if consent.withdrawn or not self._append_state(consent_id, change, within):
            raise ConsentAlreadyWithdrawn("Ce consentement a déjà été retiré.",
                                          "This consent was already withdrawn.")
        self._cache.invalidate()
        return consent.with_change(change)

    def expire_due(self, now: dt.datetime, limit: int = 1000) -> list[ConsentRecord]:
        """Record expiry of the consents past `expire_le` (neither withdrawn nor already
        marked expired), at most `limit` per call; returns the newly expired."""
        expired = [self.expire(consent) for consent in self.due_for_expiry(now, limit)]
        return [record for record in expired if record is not None]

    def due_for_expiry(self, now: dt.datetime, limit: int = 1000) -> list[ConsentRecord]:
        """The consents past `expire_le`, neither withdrawn nor already marked expired."""
        return self._due_for_expiry(now, limit)

    def expire(self, consent: ConsentRecord, *, within: Any = None) -> ConsentRecord | None:
        """Record the expiry of `consent` (with `within`: in the caller's transaction on
        that connection); None if it was recorded already."""
        change = StateChange(Status.EXPIRED, consent.expires_at, HUB_ACTOR)
        if not self._append_state(consent.id, change, within):
            return None
        self._cache.invalidate()
        return consent.with_change(change)

    # -- notices ----------------------------------------------------------------------

    def store_notice(self, text: str) -> tuple[int, str]:
        """Store a notice text as the operator's (idempotent): its version number and
        SHA-256."""
        if not text.strip():
            raise BadRequest("Le texte de la notice est vide.", "The notice text is empty.")
        sha256 = notice_hash(text)
        existing = self._notice_by_hash(sha256, None)
        if existing is not None:
            return existing.version, sha256
        return self._add_notice(Notice(0, sha256, text, self.clock()))[0].version, sha256

    def register_notice(self, submission: Any, member_id: str | None) -> tuple[Notice, bool]:
        """Register the notice a member (None: the operator) shows porteurs
        (schemas/notice_submission.v1.json): the stored notice, and whether it is new.
        The same text again with the same terms is the same notice; the same text as
        another member's is a notice of its own (answering that member's would tell
        whether, and when, it registered the text)."""
        draft = draft_notice(submission, member_id, self.clock())
        existing = self._notice_by_hash(draft.sha256, member_id)
        if existing is not None:
            return check_same_terms(existing, draft), False
        stored, created = self._add_notice(draft)  # not created: stored meanwhile by another
        return check_same_terms(stored, draft), created

    def _check_notice(self, version: int, sha256: str) -> Notice:
        check_notice_hash(sha256)
        notice = self.notice(version)
        if notice is None:
            raise UnknownNotice(
                "Cette version de notice n'est pas enregistrée au hub : enregistrez-la d'abord.",
                "This notice version is not stored at the hub: store it first.",
            )
        if notice.sha256 != sha256:
            raise NoticeHashMismatch(
                "L'empreinte ne correspond pas au texte de cette version de notice.",
                "The hash does not match the text of this notice version.",
            )
        return notice

    # -- what subclasses store --------------------------------------------------------

    @abc.abstractmethod
    def for_porteur(self, fiches: Iterable[FicheKey]) -> list[ConsentRecord]:
        """Every consent collected on any of the porteur's fiches (member, fiche_id)."""

    @abc.abstractmethod
    def notice(self, version: int) -> Notice | None: ...

    @abc.abstractmethod
    def notices_of(self, member_id: str | None, after: int, limit: int) -> list[Notice]:
        """The notices `member_id` (None: the operator) registered, by version, after
        version `after`."""

    @abc.abstractmethod
    def notice_sent(self, subject_id: str, recipient_id: str, at: dt.datetime,
                    kind: NoticeKind = NoticeKind.WITHDRAWAL,
                    named: bool | None = None) -> NoticeAck:
        """Track a notice sent to a recipient (idempotent: the first send is kept), and
        whether the subject's owner is told of it (`NoticeAck.named`)."""

    @abc.abstractmethod
    def notices_sent_within(self, conn: Any, subject_id: str,
                            named: Mapping[str, bool | None],
                            at: dt.datetime, kind: NoticeKind) -> None:
        """Track notices of a new subject sent to `named`'s recipients (each: whether the
        subject's owner is told of it) in the caller's transaction on `conn`, so they
        commit with the change that sent them; a notice already tracked keeps its first
        send."""

    @abc.abstractmethod
    def acknowledge(self, subject_id: str, recipient_id: str, at: dt.datetime,
                    kind: NoticeKind = NoticeKind.WITHDRAWAL) -> NoticeAck:
        """The recipient confirms deletion (idempotent); NoticeNotSent if never sent."""

    @abc.abstractmethod
    def acks(self, subject_id: str) -> list[NoticeAck]: ...

    @abc.abstractmethod
    def acks_of(self, subject_ids: Iterable[str]) -> dict[str, list[NoticeAck]]:
        """`acks` of each of `subject_ids` (a page of them) in one read."""

    @abc.abstractmethod
    def overdue(self, now: dt.datetime, delay: dt.timedelta,
                limit: int = 1000) -> list[NoticeAck]:
        """Notices still unacknowledged `delay` after they were sent."""

    def forget_proofs(self, fiches: Iterable[FicheKey]) -> int:
        """After the erasure of these fiches: each of their consents keeps nothing of a
        proof given as text (`message_id`, `autre`: it may name the porteur), not even
        a digest a guess could be checked against; a scan's hash stays. Returns how
        many proofs were forgotten."""
        forgotten = self._forget_proofs(sorted(set(fiches)))
        if forgotten:
            self._cache.invalidate()
        return forgotten

    @abc.abstractmethod
    def _forget_proofs(self, fiches: list[FicheKey]) -> int:
        """Replace the text proofs of these fiches' consents (forgotten_proof) and move
        the change counter."""

    @abc.abstractmethod
    def _load(self, consent_id: str) -> ConsentRecord | None: ...

    @abc.abstractmethod
    def _find_reference(self, member_id: str, reference: str) -> ConsentRecord | None: ...

    @abc.abstractmethod
    def _find_references(self, member_id: str,
                         references: list[str]) -> dict[str, ConsentRecord]: ...

    @abc.abstractmethod
    def _add(self, consent: ConsentRecord) -> ConsentRecord:
        """Store a new record; if the reference was taken meanwhile, return that one."""

    @abc.abstractmethod
    def _append_state(self, consent_id: str, change: StateChange, within: Any = None) -> bool:
        """Append a state row and move the change counter (on connection `within` if
        given, else in a transaction of its own); False if that state is already recorded
        for the consent."""

    @abc.abstractmethod
    def _put_back(self, consent: ConsentRecord, within: Any) -> bool:
        """Store the record and every state of its history on connection `within`, and
        move the change counter; False if its id is stored already."""

    @abc.abstractmethod
    def _due_for_expiry(self, now: dt.datetime, limit: int) -> list[ConsentRecord]: ...

    @abc.abstractmethod
    def _notice_by_hash(self, sha256: str, member_id: str | None) -> Notice | None:
        """The notice of this text `member_id` (None: the operator) registered."""

    @abc.abstractmethod
    def _add_notice(self, draft: Notice) -> tuple[Notice, bool]:
        """Store a new notice under a version drawn at random (`new_version`; retried on a
        taken one, NoticeVersionUnavailable when every draw is), and True; if its owner
        stored its text meanwhile, that one and False."""

    @abc.abstractmethod
    def _change_version(self) -> int:
        """The store's change counter (moves on every withdrawal or expiry)."""


def _unknown_reference() -> UnknownConsentReference:
    return UnknownConsentReference(
        "Aucun consentement de ce membre ne porte cette référence : enregistrez-le d'abord.",
        "No consent of this member has this reference: record it first.",
    )
