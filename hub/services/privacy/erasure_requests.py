"""An owner's answer to another member's erasure request (`POST /v1/erasures/{id}/answer`),
and the coordination's confirmation in the console when an owner does not answer.

Confirming erases the owner's fiches of the porteur at once, final as any erasure (their
recipients get `erased` notices; the answer names that erasure, which the owner follows
like its own). Declining keeps them and says why, by one of the exceptions of GDPR
art. 17(3); the owner then tells the porteur itself (art. 12(4)). Only the owner asked
answers (anyone else: 404, as for an unknown id), once (then 409; its own confirmation
left unfinished, the old keys not destroyed yet, is answered again, as an erasure is).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from consent.api import NoticeKind
from hub.bootstrap import Hub
from hub.errors import BadRequest, Conflict, NotFound, StoreUnavailable
from hub.services.accounts.auth import Caller
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit
from hub.services.delivery.deliveries import discloses_to
from hub.services.privacy import ack_status, erasure_retries, owner_requests
from hub.services.privacy import erasure as erasing
from hub.store.erasure_repository import CONFIRMED, DECLINED, PENDING
from hub.store.records import Erasure
from hub.store.uow import UnitOfWork
from schemas.formats import first_hiding_character, is_control_character
from schemas.loader import control_message

CONFIRM, DECLINE = "confirmee", "refusee"
# GDPR art. 17(3): why an owner may keep its fiches.
MOTIFS = {"obligation_legale": "obligation légale de conservation (art. 17.3.b)",
          "mission_interet_public": "mission d'intérêt public (art. 17.3.b)",
          "archives_statistiques": "archives ou statistiques (art. 17.3.d)",
          "droits_en_justice": "constatation ou défense de droits en justice (art. 17.3.e)",
          "autre": "autre motif (précisez-le)"}
MAX_PRECISION = 500
_COORDINATION = "coordination"


def answer_request(hub: Hub, caller: Caller, erasure_id: str, body: Any) -> dict[str, Any]:
    """Body `{"reponse": "confirmee"}` or `{"reponse": "refusee", "motif": ..., "precision":
    ...}`, from the owner asked."""
    with hub.uow() as uow:
        row = uow.erasure_requests.get(erasure_id, caller.member_id) \
            if caller.dpo_scope is None else None
        erasure = uow.erasures.get(erasure_id)
    if row is None or erasure is None:
        raise NotFound("Aucune demande d'effacement ne vous est adressée sous cet identifiant.",
                       "No erasure request is addressed to you under this id.")
    reponse, motif, precision = _checked(body)  # after the 404: outsiders learn nothing
    again = erasure_retries.retry_key(hub, caller.member_id, "confirm", erasure_id)
    if row.status != PENDING:
        # its own confirmation again (its answer lost, or left unfinished): answered as
        # then, `termine` anew
        made = erasure_retries.answered_again(hub, again, []) \
            if reponse == CONFIRM and row.status == CONFIRMED else None
        if made is None:
            raise _answered()
        return made
    if reponse == CONFIRM:
        return _confirm(hub, caller, erasure, caller.member_id, None, again)
    with hub.uow() as uow:
        sealed, key_pk = uow.erasure_requests.sealed_precision(row, precision)
        if not _settled(uow, erasure_id, caller.member_id, {
                "status": DECLINED, "motif": motif, "precision": sealed,
                "key_fiche_pk": key_pk, "answered_by": caller.member_id}, hub.clock()):
            raise _answered()
        uow.commit()
    _answered_notice(hub, erasure_id, caller.member_id)
    _log(hub, caller.member_id, None, erasure, DECLINED)
    return {"effacement": erasure_id, "membre": caller.member_id, "statut": DECLINED,
            "motif": motif}


def confirm_in_console(hub: Hub, session: ConsoleSession, erasure_id: str,
                       owner_id: str) -> dict[str, Any]:
    """The coordination confirms for an owner that did not answer: the porteur's right
    does not wait on it."""
    with hub.uow() as uow:
        row = uow.erasure_requests.get(erasure_id, owner_id)
        erasure = uow.erasures.get(erasure_id)
        member = uow.members.get(owner_id)
    if row is None or erasure is None or member is None or \
            not _open_to(hub, session.member, [row]):
        raise NotFound("Aucune demande d'effacement sous cet identifiant pour ce membre.",
                       "No erasure request under this id for this member.")
    if row.status != PENDING:
        raise _answered()
    owner = Caller(member.id, member.name, member.kind, member.role)
    return _confirm(hub, owner, erasure, f"console:{session.user_id}",
                    (session.member, session.user_id))


def pending_requests(hub: Hub, session: ConsoleSession) -> list[dict[str, Any]]:
    """The requests still waiting, for the console: those asking an owner about fiches
    the coordination may see (`_open_to`)."""
    now, delay = hub.clock(), hub.settings.notice_ack_delay
    with hub.uow() as uow:
        pending = uow.erasure_requests.pending()
    shown = _open_to(hub, session.member, pending)
    with hub.uow() as uow:
        asked = [(r, uow.erasures.get(r.erasure_id)) for r in pending if r in shown]
    left = ack_status.members_left(hub)
    return [{"effacement": r.erasure_id, "membre": r.owner_id, "porteur_id": e.porteur_id,
             "demande_par": e.requested_by, "demande_le": e.requested_at,
             **owner_requests.lines([r], e, now, delay,
                                    owner_requests.unreached(hub, r.erasure_id, left))[0]}
            for r, e in asked if e is not None]  # a request names its erasure (foreign key)


def _open_to(hub: Hub, coordination: str, rows: list[Any]) -> list[Any]:
    """The requests asking about a fiche the consent + policy gate opens to the
    coordination: one asking an owner about a fiche kept under a consent leaving it out
    would tell it that the member holds a fiche of the person. That owner is asked all
    the same, and followed up by the requester and the network's DPO."""
    with hub.uow() as uow:
        heads = uow.matching.fiche_heads({pk for r in rows for pk in r.fiche_pks})
    now = hub.clock()
    return [r for r in rows if discloses_to(
        hub, [heads[pk] for pk in r.fiche_pks if pk in heads], coordination,
        _COORDINATION, now)]


def _confirm(hub: Hub, owner: Caller, erasure: Erasure, by: str,
             console: tuple[str, str] | None, retry: str | None = None) -> dict[str, Any]:
    """Erase the fiches the request named (those not erased yet), porteur by porteur
    (a merge or a separation may have moved them). The request is settled in the
    transaction erasing the last of them (`owner_requests.settle_erased`): cut short (a
    merge meanwhile, an outage), it stays pending and answering again erases the rest;
    two confirmations at once, the second gets 409. The answer so far is kept in each
    erasing transaction under `retry` (erasure_retries): the owner confirming again (the
    answer lost, or left unfinished) is told it again."""
    with hub.uow() as uow:
        row = uow.erasure_requests.get(erasure.id, owner.member_id)
        asked = set(row.fiche_pks) if row is not None else set()
        left = asked - uow.keys.erased(asked)
        heads = uow.matching.fiche_heads(left)
        groups = {p: uow.fiches.of_porteur(p) if p is not None else
                  [h for h in heads.values() if h.porteur_id is None]
                  for p in {h.porteur_id for h in heads.values()}}
    made: list[str] = []
    erased, unfinished = 0, False

    def answer(fiches: int) -> dict[str, Any]:
        return {"effacement": erasure.id, "membre": owner.member_id, "statut": CONFIRMED,
                "fiches_effacees": fiches, "effacement_des_fiches": made[0] if made else None}

    def waiting(uow: UnitOfWork, done: Any, now: dt.datetime) -> list[dict[str, Any]]:
        if not uow.erasure_requests.waiting(erasure.id, owner.member_id):
            raise _answered()
        made.append(done.id)
        erasure_retries.keep_within(uow, retry, done.id, answer(erased + len(mine)), asked,
                                    now)
        return []

    for porteur_id, listed in sorted(groups.items(), key=lambda g: str(g[0])):
        mine = [f for f in listed if f.id in left]
        try:
            done = erasing.confirmed_erasure(hub, owner, porteur_id, mine, listed, waiting,
                                             console)
        except StoreUnavailable:
            _raise_if_answered(hub, erasure.id, owner.member_id)  # the other answer erased them
            raise
        erased += done["fiches_effacees"]
        unfinished = unfinished or not done["termine"]
    if not made:  # nothing left to erase (removed, or erased meanwhile by the coordination)
        with hub.uow() as uow:
            if not _settled(uow, erasure.id, owner.member_id,
                            {"status": CONFIRMED, "answered_by": by}, hub.clock()):
                raise _answered()
            uow.commit()
    _answered_notice(hub, erasure.id, owner.member_id)
    actor, user = console or (owner.member_id, None)
    _log(hub, actor, user, erasure, CONFIRMED)
    # `termine` false, with what is left, when one group's old KEKs could not be destroyed
    return erasure_retries.told(answer(erased), unfinished)


def _settled(uow: UnitOfWork, erasure_id: str, owner_id: str, values: dict[str, Any],
             now: dt.datetime) -> bool:
    """Answer the pending request without erasing (a refusal; a confirmation with nothing
    left to erase), journaled before the commit: a restore from a copy taken before gives
    the same answer again rather than asking the owner anew (`replay_answer`)."""
    if not uow.erasure_requests.settle(erasure_id, owner_id, {**values, "answered_at": now}):
        return False
    uow.decisions.journal("erasure_answer", {
        "erasure_id": erasure_id, "owner_id": owner_id, **values}, now)
    return True


def replay_answer(uow: UnitOfWork, entry: dict[str, Any]) -> str | None:
    """A restore: the answer `entry` given again to the request the restored store holds
    pending (its erasure replayed before it asked the owner again); none when the store
    has it answered (its fiches erased since: confirmed) or never asked. The text sealed
    with a fiche erased since is not kept."""
    row = uow.erasure_requests.get(entry["erasure_id"], entry["owner_id"])
    if row is None or row.status != PENDING:
        return None
    key_pk = entry.get("key_fiche_pk")
    kept = key_pk is not None and not uow.keys.erased([key_pk]) and key_pk in row.fiche_pks
    values = {name: entry.get(name) for name in ("status", "motif", "answered_by")}
    uow.erasure_requests.settle(row.erasure_id, row.owner_id, {
        **values, "precision": entry.get("precision") if kept else None,
        "key_fiche_pk": key_pk if kept else None,
        "answered_at": dt.datetime.fromisoformat(entry["at"])})
    return f"{row.erasure_id}:{row.owner_id}"


def acknowledge_replayed(hub: Hub, answered: list[str]) -> None:
    """After a restore gave answers again (`replay_answer`): their requests' notices, sent
    again with their erasures, count as acknowledged, as when they were answered."""
    for key in answered:
        erasure_id, owner_id = key.split(":", 1)
        _answered_notice(hub, erasure_id, owner_id)


def _raise_if_answered(hub: Hub, erasure_id: str, owner_id: str) -> None:
    with hub.uow() as uow:
        row = uow.erasure_requests.get(erasure_id, owner_id)
    if row is None or row.status != PENDING:
        raise _answered() from None


def _checked(body: Any) -> tuple[str, str | None, str | None]:
    reponse = body.get("reponse") if isinstance(body, dict) else None
    if not isinstance(reponse, str) or reponse not in (CONFIRM, DECLINE):
        raise BadRequest("Champ « reponse » attendu : « confirmee » ou « refusee ».",
                         "Field 'reponse' must be 'confirmee' or 'refusee'.")
    motif, precision = body.get("motif"), body.get("precision")
    if reponse == CONFIRM:
        if motif is not None or precision is not None:
            raise BadRequest("« motif » et « precision » accompagnent un refus seulement.",
                             "'motif' and 'precision' go with a refusal only.")
        return reponse, None, None
    if not isinstance(motif, str) or motif not in MOTIFS:  # a list or an object: no hash
        raise BadRequest("Un refus donne son « motif » : " + ", ".join(MOTIFS) + ".",
                         "A refusal gives its 'motif': " + ", ".join(MOTIFS) + ".")
    if precision is not None and (not isinstance(precision, str) or
                                  not 1 <= len(precision.strip()) <= MAX_PRECISION):
        raise BadRequest(f"« precision » : un texte de 1 à {MAX_PRECISION} caractères, sans "
                         "caractère invisible ni donnée personnelle.",
                         f"'precision': a text of 1 to {MAX_PRECISION} characters, without "
                         "invisible characters nor personal data.")
    if precision is not None and (hiding := first_hiding_character(precision)) is not None:
        raise _refused_character(hiding)
    if motif == "autre" and precision is None:
        raise BadRequest("Motif « autre » : donnez la « precision ».",
                         "Motif 'autre': give the 'precision'.")
    return reponse, motif, precision.strip() if precision else None


def _refused_character(code_point: str) -> BadRequest:
    """The precision's character it may not hold, named (never the text): a control
    character by its own rule, a character hiding or reordering the text as such."""
    if is_control_character(code_point):
        fr, en = control_message(code_point, free_text=True)
    else:
        fr, en = (f"caractère invisible {code_point} refusé (il cache ou inverse le texte) ; "
                  "retapez la précision sans copier-coller.",
                  f"invisible character {code_point} refused (it hides or reorders the "
                  "text); type the precision again rather than pasting it.")
    return BadRequest(f"« precision » : {fr}", f"'precision': {en}")


def _answered() -> Conflict:
    return Conflict("Cette demande d'effacement a déjà reçu une réponse.",
                    "This erasure request was already answered.")


def _answered_notice(hub: Hub, erasure_id: str, owner_id: str) -> None:
    """The request's notice counts as acknowledged once answered (if it was sent: not to
    a member that had left the network)."""
    if any(a.recipient_id == owner_id and a.kind == NoticeKind.ERASURE_REQUEST
           for a in hub.consents.acks(erasure_id)):
        hub.consents.acknowledge(erasure_id, owner_id, hub.clock(), NoticeKind.ERASURE_REQUEST)


def _log(hub: Hub, actor: str, user: str | None, erasure: Erasure, answer: str) -> None:
    action = "erasure_request_confirm" if answer == CONFIRMED else "erasure_request_decline"
    audit.record(hub, [audit.event(hub, action, actor, user=user, porteur_id=erasure.porteur_id)])
