"""In-memory consent registry for unit tests: the real rules, dictionaries
for storage."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from consent import model
from consent.model import ConsentRecord, Notice, NoticeAck, NoticeKind, StateChange, Status
from consent.notices import new_version
from consent.registry import Clock, ConsentRegistry, FicheKey, utc_now
from hub.errors import NoticeNotSent

AckKey = tuple[NoticeKind, str, str]


class InMemoryConsentRegistry(ConsentRegistry):
    def __init__(self, clock: Clock = utc_now, *, refresh_every: float = 1.0) -> None:
        self._records: dict[str, ConsentRecord] = {}
        self._references: dict[tuple[str, str], str] = {}
        self._notices: dict[int, Notice] = {}
        self._acks: dict[AckKey, NoticeAck] = {}
        self._version = 0
        self.version_reads = 0
        super().__init__(clock, refresh_every=refresh_every)

    def _put_back(self, consent: ConsentRecord, within: Any) -> bool:
        if consent.id in self._records:
            return False
        self._records[consent.id] = consent
        self._references[(consent.member_id, consent.reference)] = consent.id
        self._version += 1
        return True

    def for_porteur(self, fiches: Iterable[FicheKey]) -> list[ConsentRecord]:
        wanted = set(fiches)
        found = [r for r in self._records.values() if (r.member_id, r.fiche_id) in wanted]
        return sorted(found, key=lambda r: (r.recorded_at, r.id))

    def notice(self, version: int) -> Notice | None:
        return self._notices.get(version)

    def notice_sent(self, subject_id: str, recipient_id: str, at: dt.datetime,
                    kind: NoticeKind = NoticeKind.WITHDRAWAL,
                    named: bool | None = None) -> NoticeAck:
        key = (kind, subject_id, recipient_id)
        return self._acks.setdefault(key, NoticeAck(kind, subject_id, recipient_id, at,
                                                    named=named))

    def notices_sent_within(self, conn: Any, subject_id: str,
                            named: Mapping[str, bool | None],
                            at: dt.datetime, kind: NoticeKind) -> None:
        for recipient_id, told in named.items():
            self.notice_sent(subject_id, recipient_id, at, kind, named=told)

    def acknowledge(self, subject_id: str, recipient_id: str, at: dt.datetime,
                    kind: NoticeKind = NoticeKind.WITHDRAWAL) -> NoticeAck:
        key = (kind, subject_id, recipient_id)
        ack = self._acks.get(key)
        if ack is None:
            raise NoticeNotSent("Aucune notice n'a été envoyée à ce destinataire pour ce sujet.",
                                "No notice was sent to this recipient for this subject.")
        if ack.acknowledged_at is None:
            ack = self._acks[key] = dataclasses.replace(ack, acknowledged_at=at)
        return ack

    def acks(self, subject_id: str) -> list[NoticeAck]:
        return [a for a in self._acks.values() if a.subject_id == subject_id]

    def acks_of(self, subject_ids: Iterable[str]) -> dict[str, list[NoticeAck]]:
        return {subject: self.acks(subject) for subject in subject_ids}

    def overdue(self, now: dt.datetime, delay: dt.timedelta,
                limit: int = 1000) -> list[NoticeAck]:
        late = [a for a in self._acks.values()
                if a.acknowledged_at is None and now >= a.sent_at + delay]
        return sorted(late, key=lambda a: a.sent_at)[:limit]

    def _load(self, consent_id: str) -> ConsentRecord | None:
        return self._records.get(consent_id)

    def _find_reference(self, member_id: str, reference: str) -> ConsentRecord | None:
        consent_id = self._references.get((member_id, reference))
        return None if consent_id is None else self._records[consent_id]

    def _find_references(self, member_id: str,
                         references: list[str]) -> dict[str, ConsentRecord]:
        return {r: self._records[self._references[(member_id, r)]] for r in references
                if (member_id, r) in self._references}

    def _add(self, consent: ConsentRecord) -> ConsentRecord:
        key = (consent.member_id, consent.reference)
        if key in self._references:
            return self._records[self._references[key]]
        self._references[key] = consent.id
        self._records[consent.id] = consent
        return consent

    def _append_state(self, consent_id: str, change: StateChange, within: Any = None) -> bool:
        record = self._records[consent_id]
        if any(c.state is change.state for c in record.history):
            return False
        self._records[consent_id] = record.with_change(change)
        self._version += 1
        return True

    def _forget_proofs(self, fiches: list[FicheKey]) -> int:
        wanted, forgotten = set(fiches), 0
        for consent_id, record in list(self._records.items()):
            if (record.member_id, record.fiche_id) in wanted and \
                    record.proof_type != model.TEXTLESS_PROOF and \
                    model.forgotten_proof(record.proof_value) != record.proof_value:
                self._records[consent_id] = dataclasses.replace(
                    record, proof_value=model.forgotten_proof(record.proof_value))
                forgotten += 1
        self._version += bool(forgotten)
        return forgotten

    def _due_for_expiry(self, now: dt.datetime, limit: int) -> list[ConsentRecord]:
        due = [r for r in self._records.values()
               if r.expires_at <= now and not _ended(r)]
        return sorted(due, key=lambda r: r.expires_at)[:limit]

    def _notice_by_hash(self, sha256: str, member_id: str | None) -> Notice | None:
        return next((n for n in self._notices.values()
                     if (n.sha256, n.member_id) == (sha256, member_id)), None)

    def _add_notice(self, draft: Notice) -> tuple[Notice, bool]:
        version = new_version()
        while version in self._notices:
            version = new_version()
        notice = dataclasses.replace(draft, version=version)
        self._notices[notice.version] = notice
        return notice, True

    def notices_of(self, member_id: str | None, after: int, limit: int) -> list[Notice]:
        found = sorted(n.version for n in self._notices.values()
                       if n.member_id == member_id and n.version > after)
        return [self._notices[version] for version in found[:limit]]

    def _change_version(self) -> int:
        self.version_reads += 1
        return self._version


def _ended(record: ConsentRecord) -> bool:
    return any(c.state in (Status.WITHDRAWN, Status.EXPIRED) for c in record.history)
