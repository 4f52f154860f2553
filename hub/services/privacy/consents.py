"""Consents through the API: record, read (collector, named members and members sent
data under it), withdraw with its fan-out to every member that was sent data under it,
receipts, acks (whole list for the collector and DPOs). Rules: hub.services.privacy.need_to_know."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import schemas
from consent.api import (
    HUB_ACTOR,
    ConsentRecord,
    NoticeKind,
    build_receipt,
    require_collector,
    sign_receipt,
    usable,
)
from hub.bootstrap import Hub
from hub.domain.fiches import Outcome
from hub.domain.purposes import ORIENTATION
from hub.errors import BadRequest, ConsentAlreadyWithdrawn, ConsentNotFound, Forbidden, NotFound
from hub.services.accounts.auth import Caller
from hub.services.audit import trail as audit
from hub.services.delivery.notices import add_notices
from hub.services.delivery.superseded import SUPERSEDED, superseded_by, superseding
from hub.services.matching.consent_gate import stop_matching
from hub.services.privacy import ack_status
from hub.services.privacy.discretion import named_for_consent, told_of
from hub.services.privacy.need_to_know import (
    NETWORK_DPO,
    actors_told,
    audits,
    consent_document,
    knows_porteur,
    sent_under,
)

CONSENT_FIELD = "consentement"  # the field an access to a consent names in the access log


def record_consent(hub: Hub, caller: Caller, submission: Any) -> tuple[dict[str, Any], bool]:
    """The consent as recorded, and whether it is new (False: the same consent posted again)."""
    record, created = hub.consents.register(submission, caller.member_id)
    audit.record(hub, [audit.event(hub, "consent_change", caller.member_id,
                                   fiches=[(record.member_id, record.fiche_id)])])
    return _shown(hub, caller, record, hub.clock(), sent=True), created


def require_own_consent(caller: Caller, submission: Any) -> None:
    """403 `fiche_not_owned` for a consent in another member's name, whatever else the
    submission holds (the API's gate, before the query's and the schema's checks)."""
    require_collector(submission, caller.member_id)


def read_consent(hub: Hub, caller: Caller, consent_id: str) -> dict[str, Any]:
    record, sent, porteur_id = _visible(hub, caller, consent_id)
    _log_read(hub, caller, porteur_id, [record])
    return _shown(hub, caller, record, hub.clock(), sent=sent)


def _log_read(hub: Hub, caller: Caller, porteur_id: str | None,
              records: list[ConsentRecord]) -> None:
    """A consent is data about its porteur (terms, history, proof): whoever reads one is
    in the access log, as for a fiche (`api_read` of the field `consentement`)."""
    if records:
        audit.record(hub, [audit.event(hub, "api_read", caller.member_id, porteur_id=porteur_id,
                                       fiches=[(r.member_id, r.fiche_id) for r in records],
                                       fields=(CONSENT_FIELD,))])


MAX_LOOKUP = 1000
_UNKNOWN = "unknown_consent_reference"


def lookup_references(hub: Hub, caller: Caller, body: Any) -> dict[str, Any]:
    """Which of `{"references": [...]}` name a consent the caller recorded, and whether a
    fiche citing it would pass the push's consent check now. Only the caller's own
    references are looked at: another member's reference answers as an unknown one."""
    references = _references(body)
    found = hub.consents.of_references(caller.member_id, references)
    with hub.uow() as uow:  # a push of their fiche is refused `fiche_erased`, whatever the consent
        erased = uow.fiches.erased_ids(caller.member_id, [r.fiche_id for r in found.values()])
    newer = superseding(hub, caller.member_id, found.values())
    now = hub.clock()
    return {"references": [_lookup_line(reference, found.get(reference), now, erased, newer)
                           for reference in references]}


def _lookup_line(reference: str, record: ConsentRecord | None, now: Any,
                 erased: set[str], newer: dict[str, ConsentRecord]) -> dict[str, Any]:
    if record is None:
        return {"reference": reference, "connue": False, "utilisable": False, "code": _UNKNOWN}
    decision = usable(record, now, ORIENTATION)
    allowed, code = (False, Outcome.ERASED.value) if record.fiche_id in erased else (
        decision.allowed, decision.code)
    line = {"reference": reference, "connue": True, "utilisable": allowed,
            "code": code, "consentement": record.id, "fiche_id": record.fiche_id}
    if allowed and record.id in newer:  # the caller's own consents: it may learn the newer one
        line.update(utilisable=False, code=SUPERSEDED, remplace_par=newer[record.id].reference)
    return line


# The form of a consent's reference (schemas/consent.v1.json): any other text names no
# consent and is refused rather than repeated back (a name, a line break).
_REFERENCE = re.compile(schemas.load_schema("consent")["properties"]["reference"]["pattern"],
                        re.ASCII)


def _references(body: Any) -> list[str]:
    references = body.get("references") if isinstance(body, dict) and set(body) == {
        "references"} else None
    if (not isinstance(references, list) or not 1 <= len(references) <= MAX_LOOKUP
            or not all(isinstance(r, str) and _REFERENCE.fullmatch(r) for r in references)):
        raise BadRequest(
            f"Le corps doit être {{\"references\": [...]}} : de 1 à {MAX_LOOKUP} références "
            "de consentement (1 à 64 lettres ou chiffres ASCII, « . _ : - », comme "
            "consentement.reference).",
            f"The body must be {{\"references\": [...]}}: 1 to {MAX_LOOKUP} consent "
            "references (1 to 64 ASCII letters or digits, '. _ : -', as "
            "consentement.reference).")
    return list(dict.fromkeys(references))


def consent_receipt(hub: Hub, caller: Caller, consent_id: str) -> dict[str, Any]:
    """The signed consent receipt to hand to the porteur (collector only), signed over the
    consent as the collector is shown it (`_shown`: its history's `par` included)."""
    record, _sent, porteur_id = _visible(hub, caller, consent_id)
    if record.member_id != caller.member_id:
        raise Forbidden("Seul le membre qui a recueilli le consentement en remet le reçu.",
                        "Only the collecting member hands out the receipt.")
    _log_read(hub, caller, porteur_id, [record])
    now = hub.clock()
    return sign_receipt(build_receipt(_shown(hub, caller, record, now, sent=True), now),
                        hub.hub_key.private_key, kid=hub.hub_key.key_id)


def porteur_consents(hub: Hub, caller: Caller, porteur_id: str) -> list[dict[str, Any]]:
    """The porteur's consents of the fiches the caller owns or was sent (still served),
    for a member that owns one of its fiches or was sent something about it. A consent
    that only names the caller (`membres_destinataires`) is read by id, never listed
    here: listed under the porteur, it would tell the caller that its collector follows
    the person of the caller's own fiche."""
    with hub.uow() as uow:
        fiche_rows = uow.fiches.of_porteur(porteur_id)
        if not knows_porteur(uow, caller.member_id, porteur_id, fiche_rows):
            raise NotFound("Porteur inconnu.", "Unknown porteur.")
        served = uow.deliveries.still_served(caller.member_id, [row.id for row in fiche_rows])
    fiche_pk = {(row.member_id, row.fiche_id): row.id for row in fiche_rows}
    records = hub.consents.for_porteur(fiche_pk)
    shown = [r for r in records
             if r.member_id == caller.member_id or fiche_pk[(r.member_id, r.fiche_id)] in served]
    _log_read(hub, caller, porteur_id, shown)
    return [_shown(hub, caller, r, hub.clock(), sent=True) for r in shown]


def withdraw_consent(hub: Hub, caller: Caller, consent_id: str) -> dict[str, Any]:
    """Record the withdrawal (effective at once), cancel what has not left, and send a
    withdrawal notice to every member that was sent data under this consent."""
    before, sent, porteur_id = _visible(hub, caller, consent_id)
    now = hub.clock()
    earlier = [r.id for r in superseded_by(hub, before, now)]
    if hub.store_keys.journal is not None:  # replayed by a restore from an older backup
        for withdrawn in (*earlier, consent_id):
            hub.store_keys.journal.withdrawal(withdrawn, caller.member_id, now.isoformat(),
                                              "withdrawal")
    record, notified = _state_with_notices(
        hub, before, NoticeKind.WITHDRAWAL, now,
        lambda conn: _withdraw_with(hub, consent_id, earlier, caller.member_id, now, conn),
        lambda record: [audit.event(hub, "consent_change", caller.member_id,
                                    porteur_id=porteur_id,
                                    fiches=[(record.member_id, record.fiche_id)],
                                    fields=(CONSENT_FIELD,))])
    assert record is not None  # withdraw raises when it was withdrawn already
    document = _shown(hub, caller, record, now, sent=sent)
    # Only the collector learns who else was sent data under its consent, and only of
    # those it may know follow the porteur (hub.services.privacy.discretion).
    document["avis_envoyes"] = sorted(
        _told_collector(hub, record, [a for a in hub.consents.acks(record.id)
                                      if a.recipient_id in notified])
        if record.member_id == caller.member_id else notified & {caller.member_id})
    return document


def _withdraw_with(hub: Hub, consent_id: str, earlier: list[str], member_id: str,
                   now: dt.datetime, conn: Any) -> ConsentRecord:
    """Withdraw the consent in force and, in the same transaction, the superseded consents
    of its fiche (`earlier`): none of them serves again what the porteur withdrew."""
    for superseded in earlier:
        with contextlib.suppress(ConsentAlreadyWithdrawn):  # withdrawn meanwhile: the same
            hub.consents.withdraw(superseded, member_id, now, within=conn)
    return hub.consents.withdraw(consent_id, member_id, now, within=conn)


def replay_withdrawal(hub: Hub, consent_id: str, member_id: str, at: dt.datetime) -> str | None:
    """A restore: withdraw again a consent the restored copy still holds as given."""
    try:
        before = hub.consents.get(consent_id)
    except ConsentNotFound:
        return None  # recorded after the copy: gone with it (its fiches are too)
    if before.withdrawn:
        return None
    _state_with_notices(hub, before, NoticeKind.WITHDRAWAL, hub.clock(),
                        lambda conn: hub.consents.withdraw(consent_id, member_id, at, within=conn))
    return consent_id


def expire_due(hub: Hub) -> int:
    """Apply expiry like a withdrawal: notices to every member that received the data."""
    now, expired = hub.clock(), 0
    for consent in hub.consents.due_for_expiry(now):
        record, _notified = _state_with_notices(hub, consent, NoticeKind.EXPIRY, now,
                                                _expiry_of(hub, consent))
        expired += record is not None
    return expired


def acknowledge_notice(hub: Hub, caller: Caller, consent_id: str) -> dict[str, Any]:
    ack = hub.consents.acknowledge(consent_id, caller.member_id, hub.clock(), NoticeKind.WITHDRAWAL)
    return {"consentement": consent_id, "membre": caller.member_id,
            "statut": ack.status(hub.clock(), hub.settings.notice_ack_delay).value}


def acknowledgements(hub: Hub, caller: Caller, consent_id: str) -> list[dict[str, Any]]:
    """Every notified member's acknowledgement for the collector and its DPOs; a member
    notified, or that may read the consent, sees its own line only (one that erased its
    data of the porteur since no longer reads the consent, but is asked to acknowledge);
    anyone else gets 404."""
    found = _found(hub, consent_id)
    whole = found is not None and (audits(caller, found.member_id) or (
        caller.dpo_scope is None and caller.member_id == found.member_id))
    acks = hub.consents.acks(consent_id)
    notified = any(a.recipient_id == caller.member_id for a in acks)
    record = found if found is not None and (whole or notified) else \
        _visible(hub, caller, consent_id)[0]
    shown = {caller.member_id} if not whole else None if caller.dpo_scope == NETWORK_DPO \
        else _told_collector(hub, record, acks)
    return [{"membre": a.recipient_id, "statut": status}
            for a, status in ack_status.statuses(hub, acks)
            if shown is None or a.recipient_id in shown]


def _expiry_of(hub: Hub, consent: ConsentRecord) -> Callable[[Any], ConsentRecord | None]:
    """The expiry of `consent` and, when it is the consent in force, of the fiche's
    superseded consents with it (at its end): a later consent serves none of their versions."""
    earlier = superseded_by(hub, consent, consent.expires_at)

    def expire(conn: Any) -> ConsentRecord | None:
        # A consent's status reads its own end date: a superseded one ends with the
        # consent in force as a withdrawal recorded by the hub at that end.
        for superseded in earlier:
            with contextlib.suppress(ConsentAlreadyWithdrawn):
                hub.consents.withdraw(superseded.id, HUB_ACTOR, consent.expires_at, within=conn)
        return hub.consents.expire(consent, within=conn)
    return expire


def _state_with_notices(hub: Hub, before: ConsentRecord, kind: NoticeKind, now: dt.datetime,
                        write_state: Callable[[Any], ConsentRecord | None],
                        events: Callable[[ConsentRecord], list[Any]] = lambda _r: []
                        ) -> tuple[ConsentRecord | None, set[str]]:
    """The consent's new state (`write_state(connection)`, None if recorded already), the
    notices it entails and its `events` in one transaction: a process killed between
    them left a consent withdrawn or expired whose recipients were never told."""
    named = _named_for(hub, before)
    with hub.uow() as uow:
        record = write_state(uow.connection)
        if record is not None:
            stop_matching(hub, uow, record, now)
        notified = set() if record is None else _notify(
            hub, uow, record, "withdrawn", kind, now, named)
        if record is not None:
            hub.audit.append_within(uow.connection, events(record))
        uow.commit()
    if notified:
        hub.publisher.request_dispatch_safely()
    return record, notified


def _named_for(hub: Hub, record: ConsentRecord) -> set[str]:
    """The members the consent's collector may be told were notified, decided before the
    notices' transaction (the fiche may go afterwards)."""
    with hub.uow() as uow:
        everyone = {m.id for m in uow.members.all()}
    return named_for_consent(hub, record, everyone)


def _notify(hub: Hub, uow: Any, record: ConsentRecord, event: str, kind: NoticeKind,
            now: dt.datetime, named: set[str]) -> set[str]:
    """Cancel what has not left and queue a notice, with its acknowledgement to come, to
    every member sent data under the consent, in the transaction of `uow`."""
    fiche = uow.fiches.porteur_of(record.member_id, record.fiche_id)
    if fiche is None or fiche.porteur_id is None:
        return set()
    under = _versions_under(uow, record, fiche.id)
    if under is None:  # the consent in force: nothing of any version of the fiche is served
        uow.deliveries.cancel_pending([fiche.id], "consent_withdrawn")
        # Whoever was sent data of the fiche (a delivery being sent right now may have
        # left: its recipient gets the notice too), and nobody else; a member that erased
        # its own data of the porteur since is told too (GDPR art. 19: every recipient is,
        # the hub cannot know its copy is gone).
        recipients = uow.deliveries.data_recipients(
            [fiche.id], with_cancelled=True)[fiche.id] - {record.member_id}
        sent = uow.deliveries.data_delivery_ids([fiche.id])
    else:  # superseded: only what was made under it, no longer served (`coverage`)
        sent = uow.deliveries.data_delivery_ids([fiche.id], under)
        recipients = {member_id for _pk, member_id in sent} - {record.member_id}
    members = [m for m in uow.members.active() if m.id in recipients]  # not those gone
    recipients = set(add_notices(
                uow, members, event=event, subject=record.id, porteur_id=fiche.porteur_id,
                fiche_pk=fiche.id, now=now, secret=hub.pseudonym_key,
                document=lambda member_id: {
                    "source": {"membre": record.member_id, "fiche_id": record.fiche_id,
                               "livraisons": sent.get((fiche.id, member_id), [])},
                    "consentement": record.id,
                    "demande": "Supprimez les données reçues sur ce porteur et accusez "
                               "réception.",
                    "accuse_reception": f"/v1/consents/{record.id}/ack"}))
    hub.consents.notices_sent_within(uow.connection, record.id,
                                     {m: m in named for m in recipients}, now, kind)
    return recipients


def _versions_under(uow: Any, record: ConsentRecord, fiche_pk: int) -> list[int] | None:
    """The versions of the fiche made under `record` when another consent is in force
    (its current version cites another); None when `record` is the consent in force (or
    the fiche's current version was pushed before the hub kept which one it cites)."""
    current = uow.fiches.consents_in_force(record.member_id, [record.fiche_id]).get(
        record.fiche_id, (fiche_pk, None))[1]
    if current is None or current in ("", record.id):
        return None
    cited = uow.fiches.references_cited(fiche_pk)
    return [version for version, reference in cited.items() if reference == record.reference]


def _shown(hub: Hub, caller: Caller, record: ConsentRecord, now: dt.datetime, *,
           sent: bool) -> dict[str, Any]:
    """The consent as the caller is shown it, whatever the path (need_to_know.consent_document,
    its history's authors as need_to_know.actors_told decides)."""
    return consent_document(record, now, reader=caller.member_id, sent=sent, actors=actors_told(
        caller.member_id, record, lambda members: named_for_consent(hub, record, members)))


def _told_collector(hub: Hub, record: ConsentRecord, acks: list[Any]) -> set[str]:
    """The notified members the consent's collector is told of (privacy.discretion)."""
    return told_of(acks, lambda undecided: named_for_consent(hub, record, undecided))


def _visible(hub: Hub, caller: Caller,
             consent_id: str) -> tuple[ConsentRecord, bool, str | None]:
    """The consent, for the collector, the members it names and those sent data under it
    and still served it (whether the caller is one of the latter two; the porteur of its
    fiche); others learn nothing, not even that it exists: neither from the answer nor
    from its time (an unknown id goes through the same statements as another member's
    consent)."""
    record = _found(hub, consent_id)
    with hub.uow() as uow:
        sent, porteur_id = sent_under(uow, record, caller.member_id)
    if record is None or (not sent and caller.member_id not in record.members):
        raise ConsentNotFound()  # the registry's own answer
    return record, sent, porteur_id


def _found(hub: Hub, consent_id: str) -> ConsentRecord | None:
    try:
        return hub.consents.get(consent_id)
    except ConsentNotFound:
        return None
