"""The access log as the services use it: events for every disclosure and sensitive
action, pseudonymous ids only, appended in batches after the business transaction;
signed heads, proofs, search, the per-porteur access report and the export."""

from __future__ import annotations

import collections
import contextvars
import datetime as dt
import itertools
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from hub.audit import export as records
from hub.audit.csv_export import CsvLabels, csv_chunks
from hub.audit.events import ACTIONS, AccessEvent, pseudonymise
from hub.audit.heads import HeadSigner, head_to_dict
from hub.bootstrap import Hub
from hub.errors import AuditIntegrityError, HubError, NotASignedHeadSize, NotFound
from hub.services.audit import person_scope
from hub.store.engine import store_errors

# The actions that disclose a porteur's fields to the acting member (the art. 15 report).
DISCLOSURES = frozenset({"webhook_delivery", "webhook_attempt", "feed_pull", "api_read",
                         "porteur_view", "console_view"})


def porteur_ref(hub: Hub, porteur_id: str | None) -> str | None:
    return pseudonymise(porteur_id, hub.pseudonym_key) if porteur_id else None


def fiche_ref(hub: Hub, member_id: str, fiche_id: str) -> str:
    return pseudonymise(f"{member_id}/{fiche_id}", hub.pseudonym_key)


# The request being served (set by the API for each request; None in tasks): every event
# a request causes carries its id, so a DPO can tie the log to the API's answers.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_request_id", default=None)


def event(hub: Hub, action: str, actor: str, *, outcome: str = "allowed",
          porteur_id: str | None = None, fiches: Iterable[tuple[str, str]] = (),
          fields: Iterable[str] = (), purpose: str | None = None,
          policy_version: str | None = None, user: str | None = None) -> AccessEvent:
    """An access event naming only pseudonyms and field names, never values."""
    return AccessEvent(
        at=hub.clock(), actor_member=actor, action=action, outcome=outcome, actor_user=user,
        porteur_ref=porteur_ref(hub, porteur_id),
        fiche_refs=tuple(fiche_ref(hub, m, f) for m, f in fiches), fields=tuple(fields),
        purpose=purpose, policy_version=policy_version, request_id=current_request_id.get())


def record(hub: Hub, events: list[AccessEvent]) -> None:
    """Append a batch of events (one transaction). Called after the business commit; a
    database outage raises StoreUnavailable (StoreTimeout), never the driver's error."""
    if events:
        with store_errors():
            hub.audit.append_many(events)


def publish_head(hub: Hub) -> dict[str, Any]:
    with store_errors():  # a database outage is retried by the task, not a raw error
        head = hub.audit.publish_head(HeadSigner(hub.hub_key.private_key))
    return head_to_dict(head)


def sign_at_stop(hub: Hub) -> None:
    """A head over the entries logged since the last one, as a process stops cleanly (a
    kill leaves them to the next process's head). Whatever keeps it from signing (a store
    gone or damaged, a log failing its checks, the key directory refusing the kept head)
    is logged by its kind, not raised: the stop goes on."""
    try:
        publish_head(hub)
    except HubError as exc:
        logging.getLogger("hub").warning("audit: no head signed at stop (%s)", exc.code)
    except Exception as exc:  # a damaged database file, a refused write...
        logging.getLogger("hub").warning("audit: no head signed at stop (%s)",
                                         type(exc).__name__)


def latest_head(hub: Hub) -> dict[str, Any] | None:
    head = hub.audit.latest_head()
    return head_to_dict(head) if head else None


def inclusion_proof(hub: Hub, seq: int, size: int | None = None, *,
                    member: str | None = None) -> tuple[int, list[bytes]]:
    """(size, audit path) proving entry `seq` is in the tree of a signed head's `size`
    entries (default: the latest signed head's). Sizes are those of signed heads: what was
    appended since, unsigned, counts other members' accesses and is nobody's to learn, not
    even by a refusal, and the path to a size the caller picks ends in the leaf hash of the
    entry it picks. With `member` (a member's DPO), only an entry of that member's own
    accesses, as its search reads them: another's is answered as a seq that does not
    exist (its proof would hand over the entry's leaf hash, a fingerprint of another
    member's access to match against a guess, and which seqs are whose)."""
    signed = _signed_size(hub)
    size = signed if size is None else size
    if not 0 <= seq < size <= signed or size not in hub.audit.signed_sizes([size]) or (
            member is not None and not any(
                e.actor_member == member for e in hub.audit.by_seqs([seq]))):
        raise NotFound("Aucune entrée de ce numéro sous une tête signée de cette taille.",
                       "No entry with this seq under a signed head of this size.")
    return size, hub.audit.inclusion_proof(seq, size)


def consistency_proof(hub: Hub, first: int, second: int | None = None) -> tuple[int, list[bytes]]:
    """(second, nodes) proving the tree of signed head `first` is a prefix of the one of
    signed head `second` (default: the latest's). Between two sizes the caller picks, the
    proof held the leaf hash of the entry it picked (k and k + 1: entry k's), a
    fingerprint of another member's access; between heads, only those of the entries at
    their edges (docs/protocol.md, "Consistency proofs between signed heads only")."""
    signed = _signed_size(hub)
    second = signed if second is None else second
    if not 0 <= first <= second <= signed or hub.audit.signed_sizes(
            [first, second]) != {first, second}:
        raise NotASignedHeadSize(
            "Les preuves de cohérence ne sont données qu'entre deux tailles de têtes "
            "signées (première ≤ seconde) : la dernière est celle de GET /v1/audit/tree-head, "
            "les précédentes celles que vous avez conservées en l'appelant.",
            "Consistency proofs are given between the sizes of two signed heads only "
            "(first ≤ second): the latest is GET /v1/audit/tree-head's, earlier ones those "
            "you kept from calling it.")
    return second, hub.audit.consistency_proof(first, second)


def _signed_size(hub: Hub) -> int:
    """The latest signed head's size, once the stored entries still give its root: a proof
    over rewritten entries would prove them, and fail against the head."""
    if not hub.audit.matches_signed_head():
        raise AuditIntegrityError(
            "Le journal stocké ne correspond plus à sa dernière tête signée : aucune preuve "
            "n'en est donnée. Le DPO du réseau l'exporte et le vérifie pour trouver l'entrée "
            "fautive.",
            "The stored log no longer matches its last signed head: no proof is given from "
            "it. The network's DPO exports and verifies it to find the bad entry.")
    head = hub.audit.latest_head()
    return head.size if head is not None else 0


def actions() -> list[str]:
    """Every action an access event may name (the DPO's search filter)."""
    return sorted(ACTIONS)


class Exported(NamedTuple):
    """An export's line count, and the hub's refusal to sign over its store if it did."""

    lines: int
    mismatch: AuditIntegrityError | None = None


def export(hub: Hub, target: str | Path | IO[str], actor: str, *, user: str | None = None) -> int:
    """`export_whole`'s line count."""
    return export_whole(hub, target, actor, user=user).lines


def export_whole(hub: Hub, target: str | Path | IO[str], actor: str, *,
                 user: str | None = None) -> Exported:
    """Export the log as JSONL (entries and signed heads) for the offline verifier, up to
    the head signed now: what other processes append meanwhile goes to the next export.
    A store that no longer matches its last signed head gets no new head: it is exported
    up to that head, with a warning in the meta line, so the verifier names the bad entry
    (refusing the export would leave nothing to find it with). A database outage raises
    StoreUnavailable (StoreTimeout), never the driver's error (the command line and the
    tasks say and retry the former)."""
    record(hub, [event(hub, "audit_export", actor, user=user)])
    with store_errors():
        try:
            hub.audit.recheck()  # every entry's content hashed again, those read before too
            head = publish_head(hub)
        except AuditIntegrityError as exc:
            latest = hub.audit.latest_trusted_head()
            signed = latest.size if latest is not None else 0
            warning = {**exc.to_dict(), "signed_size": signed}
            return Exported(hub.audit.export(target, signed, warning=warning), exc)
        return Exported(hub.audit.export(target, head["size"]))


INTEGRITY_HEADER = "Capactif-Integrite"


def integrity_header(mismatch: AuditIntegrityError | None) -> dict[str, str]:
    """The response header telling an export's reader its store failed its signed head."""
    return {} if mismatch is None else {INTEGRITY_HEADER: mismatch.code}


def read_integrity(hub: Hub) -> dict[str, str]:
    """The integrity header for a page or an export of events just read: set when an
    event read (or any entry read since this process started) no longer hashes to its
    leaf, or the log fails its signed and kept heads."""
    if hub.audit.matches_signed_head():
        return {}
    return {INTEGRITY_HEADER: AuditIntegrityError.code}


def search(hub: Hub, actor: str, *, porteur_id: str | None = None, member: str | None = None,
           action: str | None = None, since: dt.datetime | None = None,
           until: dt.datetime | None = None, limit: int = 1000,
           user: str | None = None) -> list[dict[str, Any]]:
    """The first `limit` matching events, oldest first; by `porteur_id`, the person's
    events under every id that held their fiches (as the console's search and exports)."""
    if porteur_id is not None:
        found = person_scope.searched(hub, porteur_id, member=member, action=action,
                                      since=since, until=until)[:limit]
    else:
        found = hub.audit.search(member=member, action=action, since=since, until=until,
                                 limit=limit)
    record(hub, [event(hub, "audit_view", actor, porteur_id=porteur_id, user=user)])
    return [_event_dict(e) for e in found]


def search_page(hub: Hub, actor: str, *, page: int, per_page: int, user: str | None = None,
                porteur_id: str | None = None, member: str | None = None,
                action: str | None = None, since: dt.datetime | None = None,
                until: dt.datetime | None = None,
                account: str | None = None, upto: int | None = None) -> dict[str, Any]:
    """Page `page` (from 1; past the last gives the last) of the matching events, newest
    first, with how many there are; `account` is a console account's id. `upto`: the
    log's last seq when the first page was shown (answered as `upto`, to be given back
    for the next pages): each page view logs an event, which would otherwise shift every
    later page by one, an event shown again atop the next page."""
    if upto is None:
        newest = hub.audit.search(limit=1, newest_first=True)
        upto = newest[0].seq or 0 if newest else 0
    criteria: dict[str, Any] = {"member": member, "action": action, "since": since,
                                "until": until, "user": account, "upto": upto}
    about = person_scope.searched_seqs(hub, porteur_id, **criteria)[::-1] \
        if porteur_id is not None else None
    total = len(about) if about is not None else hub.audit.count(**criteria)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    found = hub.audit.by_seqs(about[start:start + per_page])[::-1] if about is not None \
        else hub.audit.search(**criteria, limit=per_page, offset=start, newest_first=True)
    record(hub, [event(hub, "audit_view", actor, porteur_id=porteur_id, user=user)])
    return {"events": [_event_dict(e) for e in found], "total": total, "page": page,
            "pages": pages, "upto": upto}


def events(hub: Hub, *, porteur_id: str | None = None, member: str | None = None,
           action: str | None = None, since: dt.datetime | None = None,
           until: dt.datetime | None = None, account: str | None = None,
           page: int = 5000) -> Iterator[AccessEvent]:
    """Every matching event, oldest first, read page by page (short read transactions);
    by `porteur_id`, the person's events under every id that held their fiches."""
    if porteur_id is not None:
        yield from _of_person(hub, porteur_id, member=member, action=action, since=since,
                              until=until, user=account)
        return
    after = -1
    while True:
        found = hub.audit.search(member=member, action=action, since=since,
                                 until=until, limit=page, after=after, user=account)
        yield from found
        if len(found) < page:
            return
        after = found[-1].seq or 0


def _of_person(hub: Hub, porteur_id: str, *, member: str | None, action: str | None,
               since: dt.datetime | None, until: dt.datetime | None,
               user: str | None) -> Iterator[AccessEvent]:
    """The journal's events about the person `porteur_id` holds (the access report's
    rule, `person_scope.searched`) matching the other criteria, oldest first, every one
    of them, streamed: the criteria are the database's to apply, so that only the
    matching events are read."""
    return person_scope.streamed_searched(hub, porteur_id, member=member, action=action,
                                          since=since, until=until, user=user)


def export_events(hub: Hub, actor: str, output: str, *, user: str | None = None,
                  csv_labels: CsvLabels | None = None, **filters: Any) -> Iterator[str]:
    """Matching events as CSV or JSONL (entry lines, each provable by an inclusion proof),
    streamed; the export itself is logged before the first line. `csv_labels`: a CSV
    for people (French headers and values, a BOM) rather than the codes. The first chunk
    is made here: a store that keeps the stream from starting fails the call, so that the
    answer is its error, not a stream cut before its first byte."""
    record(hub, [event(hub, "audit_export", actor, user=user, porteur_id=filters.get("porteur_id"))])
    found = events(hub, **filters)
    if output == "csv":
        return _started(csv_chunks(found, csv_labels))
    return _started(records.ending_lines(
        records.encode_record(records.entry_record(e)) + "\n" for e in found))


def _started(chunks: Iterator[str]) -> Iterator[str]:
    """`chunks` with its first one already made; a store failing them raises the store's
    error (StoreTimeout, StoreUnavailable), before the first chunk or after it (the
    answer, under way, then ends without its end line: hub.web.failures)."""
    chunks = _store_errors_of(chunks)
    first = next(chunks, None)
    return iter(()) if first is None else itertools.chain([first], chunks)


def _store_errors_of(chunks: Iterator[str]) -> Iterator[str]:
    with store_errors():
        yield from chunks


def access_report(hub: Hub, actor: str, porteur_id: str, *, user: str | None = None) -> dict[str, Any]:
    """GDPR art. 15: which members received which fields of this porteur, when, why (also
    under the porteur ids its fiches were held under before a merge or a split)."""
    found = person_scope.streamed_about(hub, porteur_id)  # folded as read: bounded memory
    delivered = person_scope.made_available(hub, porteur_id)
    record(hub, [event(hub, "audit_view", actor, porteur_id=porteur_id, user=user)])
    return {"porteur_id": porteur_id, "destinataires": _recipients(hub, found, delivered)}


def fiche_report(hub: Hub, actor: str, member_id: str, fiche_id: str, *,
                 user: str | None = None) -> dict[str, Any]:
    """The access report restricted to one member's fiche: every member its data was
    disclosed or made available to (a webhook sent, a delivery put in its feed), read or
    not (`lu`), as the art. 15 report lists them. Asked by the owning member (its DPO or
    its own credential), never by another; `discretion.fiche_report` names only the
    recipients it may learn of."""
    with hub.uow() as uow:
        row = uow.fiches.porteur_of(member_id, fiche_id)
    if row is None:
        raise NotFound("Fiche inconnue.", "Unknown fiche.")
    ref = fiche_ref(hub, member_id, fiche_id)
    about = person_scope.events_about(hub, row.porteur_id) if row.porteur_id else \
        hub.audit.search(limit=100_000)
    found = [e for e in about if ref in e.fiche_refs]
    record(hub, [event(hub, "audit_view", actor, porteur_id=row.porteur_id, user=user,
                       fiches=[(member_id, fiche_id)])])
    delivered = person_scope.fiche_made_available(hub, row.id, row.porteur_id)
    return {"membre": member_id, "fiche_id": fiche_id,
            "destinataires": _recipients(hub, found, delivered)}


def _recipients(hub: Hub, found: Iterable[AccessEvent],
                delivered: Iterable[tuple[str, list[str], dt.datetime]] = ()
                ) -> list[dict[str, Any]]:
    """Per member: the fields it accessed (`acces`, read or received by webhook, or POSTed
    to it by a webhook attempt that failed: `tentatives` of them), and
    those made available to it (`livraisons`: a webhook sent or a delivery in its feed,
    read or not): every member the data was disclosed to is listed, `lu` saying whether
    it accessed it."""
    with hub.uow() as uow:
        names = {m.id: m.name for m in uow.members.all()}
    received: dict[str, dict[str, Any]] = collections.defaultdict(
        lambda: {"champs": set(), "finalites": set(), "acces": 0, "tentatives": 0, "premier": None,
                 "dernier": None, "livres": set(), "livraisons": 0, "premiere_livraison": None})
    for member, fields, at in delivered:
        entry = received[member]
        entry["livres"].update(fields)
        entry["livraisons"] += 1
        entry["premiere_livraison"] = entry["premiere_livraison"] or at.isoformat()
    for item in found:
        if item.outcome != "allowed" or item.action not in DISCLOSURES:
            continue
        entry = received[item.actor_member]
        entry["champs"].update(item.fields)
        if item.purpose:
            entry["finalites"].add(item.purpose)
        entry["acces"] += 1
        entry["tentatives"] += item.action == "webhook_attempt"
        seq = item.seq or 0  # `found` in any order: the first and last by seq
        if entry["premier"] is None or seq < entry["premier"][0]:
            entry["premier"] = (seq, item.at.isoformat())
        if entry["dernier"] is None or seq > entry["dernier"][0]:
            entry["dernier"] = (seq, item.at.isoformat())
    return [
        {"membre": member, "nom": names.get(member, member), "champs": sorted(e["champs"]),
         "finalites": sorted(e["finalites"]), "acces": e["acces"],
         "tentatives": e["tentatives"], "premier_acces": e["premier"] and e["premier"][1],
         "dernier_acces": e["dernier"] and e["dernier"][1], "lu": e["acces"] > 0,
         "livraisons": e["livraisons"],
         "champs_mis_a_disposition": sorted(e["livres"]),
         "premiere_livraison": e["premiere_livraison"]}
        for member, e in sorted(received.items())]


def _event_dict(item: AccessEvent) -> dict[str, Any]:
    return {"seq": item.seq, "at": item.at.isoformat(), "membre": item.actor_member,
            "utilisateur": item.actor_user, "action": item.action, "resultat": item.outcome,
            "porteur_ref": item.porteur_ref,
            "fiches": list(item.fiche_refs), "champs": list(item.fields),
            "finalite": item.purpose, "politique": item.policy_version}
