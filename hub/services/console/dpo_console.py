"""What a DPO does in the console: search the access log, read a porteur's access
report, see unusual-access alerts, follow consents and withdrawal acknowledgements,
export the log (JSONL for the offline verifier, CSV for a spreadsheet). Every page is
itself logged (`console_view` naming the person's account id)."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from consent.api import AckStatus
from hub.audit.csv_export import CsvLabels
from hub.bootstrap import Hub
from hub.services.accounts.members import member_names
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import alerts as audit_alerts
from hub.services.audit import trail as audit
from hub.services.privacy.ack_status import members_left, status_of
from hub.store.records import EndedConsent

LOG_COLUMNS = ("seq", "at", "actor_member", "actor_user", "action", "porteur_ref", "fiche_refs",
               "fields", "purpose", "outcome")


PER_PAGE = 100


def search_log(hub: Hub, session: ConsoleSession, *, page: int = 1, per_page: int = PER_PAGE,
               **criteria: Any) -> dict[str, Any]:
    """Page `page` of the events matching `criteria` (porteur_id, member, action, since,
    until, account: a console account's id), newest first, with the count of pages."""
    found = audit.search_page(hub, session.member, page=page, per_page=per_page,
                              user=session.user_id, **criteria)
    _log_page(hub, session)
    return found


def access_report(hub: Hub, session: ConsoleSession, porteur_id: str) -> dict[str, Any]:
    report = audit.access_report(hub, session.member, porteur_id)
    _log_page(hub, session)
    return report


def export_log(hub: Hub, session: ConsoleSession,
               target: str | Path | IO[str]) -> audit.Exported:
    """The whole log with signed heads (JSONL), for `capactif audit verify`."""
    return audit.export_whole(hub, target, session.member, user=session.user_id)


def export_search(hub: Hub, session: ConsoleSession, output: str,
                  labels: CsvLabels | None = None, **criteria: Any) -> Iterator[str]:
    """The events matching `criteria` (as `search_log`), oldest first, streamed: JSONL
    entry lines (each provable by an inclusion proof) or CSV (`;`-separated, with
    `labels` French headers and names and a BOM)."""
    return audit.export_events(hub, session.member, output, user=session.user_id,
                               csv_labels=labels, **criteria)


def unusual_accesses(hub: Hub, session: ConsoleSession, *,
                     days: int | None = None) -> list[audit_alerts.Alert]:
    """Alerts over the last `days` (default: each rule's own window), newest first; the
    new ones are recorded in the log by the alert service."""
    since = hub.clock() - dt.timedelta(days=days) if days else None
    found = audit_alerts.unusual_accesses(hub, since=since)
    _log_page(hub, session)
    return sorted(found, key=lambda a: (a.window_end, a.count), reverse=True)


def alerts_with_acknowledgements(hub: Hub, session: ConsoleSession, *,
                                 days: int | None = None) -> list[dict[str, Any]]:
    """Each alert (as `unusual_accesses`) with its log entry and, once a DPO took it
    into account, who and when."""
    found = unusual_accesses(hub, session, days=days)
    entries, acks = audit_alerts.recorded(hub, found), audit_alerts.acknowledgements(hub)
    return [{"alerte": a, "entree": entries.get(a.id), "prise_en_compte": acks.get(
        entries.get(a.id, -1))} for a in found]


def acknowledge_alert(hub: Hub, session: ConsoleSession, seq: int) -> None:
    audit_alerts.acknowledge(hub, seq, session.member, session.user_id)



CONSENTS_PER_PAGE = 50


def consents_overview(hub: Hub, session: ConsoleSession, page: int = 1,
                      per_page: int = CONSENTS_PER_PAGE) -> dict[str, Any]:
    """Consents by status and member; page `page` (past the last: the last) of the
    withdrawn and expired ones, most recently ended first, each with its recipients'
    acknowledgements (pending, acknowledged, overdue), read for the page in one query.
    Counted and paged by the database: the consents are not read one by one."""
    now, names = hub.clock(), member_names(hub)
    with hub.uow() as uow:
        by_member = uow.consent_overview.counts(now)
        by_status: collections.Counter[str] = collections.Counter()
        for counts in by_member.values():
            by_status.update(counts)
        total = by_status["withdrawn"] + by_status["expired"]
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        shown = uow.consent_overview.ended(now, (page - 1) * per_page, per_page)
    acks = hub.consents.acks_of(e.consent_id for e in shown)
    _log_page(hub, session)
    return {"par_statut": dict(by_status), "delai_jours": hub.settings.notice_ack_delay.days,
            "ended": _ended(hub, shown, acks, names), "total": total, "page": page,
            "pages": pages,
            "par_membre": [{"membre": m, "nom": names.get(m, m), **c}
                           for m, c in sorted(by_member.items())]}


def _ended(hub: Hub, shown: list[EndedConsent], acks: dict[str, list[Any]],
           names: dict[str, str]) -> list[dict[str, Any]]:
    now, delay, left = hub.clock(), hub.settings.notice_ack_delay, members_left(hub)
    rows = []
    for ended in shown:
        told = [{"membre": a.recipient_id, "nom": names.get(a.recipient_id, a.recipient_id),
                 "envoye_le": a.sent_at, "statut": status_of(a, now, delay, left),
                 "accuse_le": a.acknowledged_at} for a in acks.get(ended.consent_id, [])]
        count = collections.Counter(a["statut"] for a in told)
        rows.append({"consentement": ended.consent_id, "membre": ended.member_id,
                     "nom": names.get(ended.member_id, ended.member_id),
                     "statut": ended.status, "le": ended.ended_at, "accuses": told,
                     "en_retard": count[AckStatus.OVERDUE.value],
                     "en_attente": count[AckStatus.PENDING.value]})
    return rows


def _log_page(hub: Hub, session: ConsoleSession) -> None:
    # The porteur searched for is already in the service's own `audit_view` event.
    audit.record(hub, [audit.event(hub, "console_view", session.member, user=session.user_id)])
