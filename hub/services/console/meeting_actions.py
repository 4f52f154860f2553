"""What the coordination decides at the monthly meeting, each step logged:

- propose a referent structure: the member is notified through the hub like any
  delivery (a `referent_propose` notice in its feed or by webhook, carrying the
  porteur's pseudonymous id and the proposal, no fiche field), then accepts or
  declines with `POST /v1/referent-proposals/{id}/answer`; the parcours shows it;
- record a parrain (a name and a note);
- keep an item "à voir en réunion" with a note, until a coordinator marks it seen.

Naming the referent person, or a step of support, stays in the member's own tool: the
member's next fiche carries it, and the parcours shows it from there.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from hub.audit.events import pseudonymise
from hub.bootstrap import Hub
from hub.domain.ids import whole_number
from hub.errors import BadRequest, Conflict, NotFound, ReferentProposalMade
from hub.services.accounts.auth import Caller
from hub.services.accounts.sessions import ConsoleSession
from hub.services.accounts.users import list_users
from hub.services.audit import trail as audit
from hub.services.console.parcours import parcours_of
from hub.services.delivery.notices import add_notices
from hub.services.matching import referent_answers
from hub.store.records import MeetingAction
from schemas.formats import (
    first_format_character,
    first_hiding_character,
    is_control_character,
)
from schemas.loader import control_message

PROPOSED, ACCEPTED, DECLINED = "proposee", "acceptee", "refusee"
RECORDED, TO_DISCUSS, SEEN = "enregistre", "a_voir", "vu"
NOTICE_EVENT = "referent_propose"
MAX_NOTE = 1000
_ROLES = ("accueil", "accompagnement", "financement")


def proposal_id(hub: Hub, action_id: int) -> str:
    """The id a proposal is known by outside (`prp_…`), keyed by a secret of the hub: the
    meeting's own numbers count every decision of the coordination, so a member given two
    learnt how many it took meanwhile."""
    return "prp_" + pseudonymise(f"proposal|{action_id}", hub.pseudonym_key)[:24]


def propose_referent(hub: Hub, session: ConsoleSession, porteur_id: str, member_id: str,
                     note: str = "", seen: int | None = None) -> str:
    """Propose `member_id` as the porteur's referent structure and notify it; the
    proposal's id as the member knows it. `seen`: the number of the newest proposal about
    the porteur the page showed (0: none); one made since (a double click, another
    coordinator) raises ReferentProposalMade and nothing is sent (`proposed_last` says
    what it was). None: no such check."""
    parcours_of(hub, session, porteur_id)  # visible to the coordination, else 404
    now = hub.clock()
    with hub.uow() as uow:
        member = next((m for m in uow.members.active() if m.id == member_id), None)
        if member is None or member.role not in _ROLES:
            raise BadRequest("Structure référente : choisissez un membre d'accueil, "
                             "d'accompagnement ou de financement dans la liste.",
                             "Unknown or unsuitable referent member.")
        uow.meeting.lock_porteur(porteur_id)  # posts at the same moment: one at a time
        latest = uow.meeting.latest_proposal(porteur_id)
        if seen is not None and latest is not None and latest.id > seen:
            raise ReferentProposalMade(
                "Une autre proposition de structure référente a été faite depuis "
                "l'affichage de la page : rechargez-la.",
                "Another referent proposal was made since the page was shown: reload it.")
        action_id = uow.meeting.add(_row(porteur_id, "referent", PROPOSED, session, now,
                                         member_id=member_id, note=_note(note)))
        public = proposal_id(hub, action_id)
        add_notices(uow, [member], event=NOTICE_EVENT, subject=f"proposition-{action_id}",
                    porteur_id=porteur_id, fiche_pk=None, now=now, secret=hub.pseudonym_key,
                    document={
                        "proposition": public,
                        "demande": "La coordination du réseau vous propose d'être la structure "
                                   "référente de ce porteur. Acceptez ou refusez.",
                        "reponse": f"/v1/referent-proposals/{public}/answer"})
        uow.commit()
    hub.publisher.request_dispatch_safely()
    _log(hub, "referent_proposal", session.member, session.user_id, porteur_id)
    return public


def proposed_last(hub: Hub, porteur_id: str) -> dict[str, Any] | None:
    """The newest referent proposal about the porteur: to whom (`membre`), when (`le`),
    under which console account (`compte`), for the coordinator whose own came second."""
    with hub.uow() as uow:
        row = uow.meeting.latest_proposal(porteur_id)
    if row is None:
        return None
    logins = {u["id"]: u["login"] for u in list_users(hub)}
    return {"numero": row.id, "membre": row.member_id, "le": row.created_at,
            "compte": logins.get(row.created_by)}


def answer_proposal(hub: Hub, caller: Caller, proposal: str, body: Any) -> dict[str, Any]:
    """The proposed member accepts or declines; anyone else learns nothing (404).
    `proposal`: its `prp_…` id, or the number notices gave before those ids."""
    answer = body.get("reponse") if isinstance(body, dict) else None
    if answer not in (ACCEPTED, DECLINED):
        raise BadRequest("Champ « reponse » attendu : « acceptee » ou « refusee ».",
                         "Field 'reponse' must be 'acceptee' or 'refusee'.")
    note = body.get("note", "")
    if not isinstance(note, str):
        raise BadRequest("Champ « note » : texte attendu.", "Field 'note' must be a string.")
    now = hub.clock()
    with hub.uow() as uow:
        action_id = _proposal_number(hub, uow.meeting.proposals_to(caller.member_id), proposal)
        # one statement for any number: another's, or none (the time tells nothing)
        row = None if action_id is None else uow.meeting.proposal_to(action_id,
                                                                      caller.member_id)
        if row is None:
            raise NotFound("Aucune proposition pour votre structure sous ce numéro.",
                           "No proposal for your member under this number.")
        if not uow.meeting.settle(row.id, PROPOSED, answer, now, _note(note) or None):
            raise Conflict("Cette proposition a déjà reçu une réponse.",
                           "This proposal was already answered.")
        referent_answers.journal_answer(uow, row, answer, now)  # a restore gives it again
        uow.commit()
    _log(hub, "referent_answer", caller.member_id, None, row.porteur_id)
    return {"proposition": proposal_id(hub, row.id), "porteur_id": row.porteur_id,
            "reponse": answer}


def _proposal_number(hub: Hub, made_to_caller: list[int], proposal: str) -> int | None:
    number = whole_number(proposal)
    if number is not None or not proposal.isascii():
        return number
    return next((n for n in made_to_caller if hmac.compare_digest(proposal_id(hub, n),
                                                                  proposal)), None)


def record_parrain(hub: Hub, session: ConsoleSession, porteur_id: str, name: str,
                   note: str = "") -> int:
    name = " ".join(name.split())
    hidden = first_format_character(name)
    if hidden is not None:
        raise BadRequest(f"Parrain : caractère invisible {hidden} refusé dans le nom ; "
                         "retapez-le.", f"Parrain: invisible character {hidden} refused "
                         "in the name; type it again.")
    if not 2 <= len(name) <= 200:
        raise BadRequest("Parrain : indiquez son nom (2 à 200 caractères).",
                         "Parrain: a name of 2 to 200 characters is needed.")
    return _add(hub, session, porteur_id, "parrain", RECORDED, parrain=name, note=_note(note))


def keep_to_discuss(hub: Hub, session: ConsoleSession, porteur_id: str, note: str) -> int:
    if not note.strip():
        raise BadRequest("À voir en réunion : écrivez en une phrase ce qu'il faut voir.",
                         "A note is needed.")
    return _add(hub, session, porteur_id, "a_voir", TO_DISCUSS, note=_note(note))


def mark_seen(hub: Hub, session: ConsoleSession, action_id: int) -> str:
    with hub.uow() as uow:
        row = uow.meeting.get(action_id)
        if row is None or not uow.meeting.settle(action_id, TO_DISCUSS, SEEN, hub.clock()):
            raise NotFound("Aucun point « à voir en réunion » ouvert sous ce numéro.",
                           "No open item under this number.")
        uow.commit()
    _log(hub, "meeting_item_seen", session.member, session.user_id, row.porteur_id)
    return str(row.porteur_id)


def actions_of(hub: Hub, porteur_id: str) -> list[MeetingAction]:
    with hub.uow() as uow:
        return uow.meeting.of_porteur(porteur_id)


def to_discuss(hub: Hub) -> list[MeetingAction]:
    with hub.uow() as uow:
        return open_items(uow)


def open_items(uow: Any) -> list[MeetingAction]:
    """The items kept "à voir en réunion" and the referent proposals still waiting or
    declined, read in the caller's unit of work."""
    return uow.meeting.open_items(("a_voir", "referent"), (TO_DISCUSS, PROPOSED, DECLINED))


def _add(hub: Hub, session: ConsoleSession, porteur_id: str, kind: str, status: str,
         **values: Any) -> int:
    parcours_of(hub, session, porteur_id)
    with hub.uow() as uow:
        action_id = uow.meeting.add(_row(porteur_id, kind, status, session, hub.clock(),
                                         **values))
        uow.commit()
    _log(hub, f"meeting_{kind}", session.member, session.user_id, porteur_id)
    return action_id


def _row(porteur_id: str, kind: str, status: str, session: ConsoleSession, now: dt.datetime,
         **values: Any) -> dict[str, Any]:
    return {"porteur_id": porteur_id, "kind": kind, "status": status,
            "created_by": session.user_id, "created_at": now, **values}


def _note(text: str) -> str:
    """A note as free texts of fiches are: none of the format characters that reorder or
    hide what it says (a proposal's note reaches a member, a parrain's the meeting sheet);
    the refusal names the character, never the text."""
    hiding = first_hiding_character(text)
    if hiding is not None and is_control_character(hiding):
        fr, en = control_message(hiding, free_text=True)
        raise BadRequest(f"Note : {fr}", f"Note: {en}")
    if hiding is not None:
        raise BadRequest(f"Note : caractère invisible {hiding} refusé (il cache ou inverse le "
                         "texte) ; retapez la note sans copier-coller.",
                         f"Note: invisible character {hiding} refused (it hides or reorders "
                         "the text); type the note again rather than pasting it.")
    text = text.strip()
    if len(text) > MAX_NOTE:  # refused, not cut short: nothing said is lost unseen
        raise BadRequest(f"Note : {MAX_NOTE} caractères au plus ({len(text)} reçus) ; "
                         "raccourcissez-la.",
                         f"Note: at most {MAX_NOTE} characters ({len(text)} received); "
                         "shorten it.")
    return text


def _log(hub: Hub, action: str, member: str, user: str | None, porteur_id: str) -> None:
    audit.record(hub, [audit.event(hub, action, member, user=user, porteur_id=porteur_id)])
