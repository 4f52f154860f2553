"""Members leaving the network, and coming back (README, "A member leaves the network").

A network file that no longer lists an active member is refused unless the operator
names that member with `--leave`: a member dropped by a slip of the pen would otherwise
lose its credentials, and one dropped on purpose would otherwise keep them. Leaving, in
the load's transaction:

* every credential of the member is revoked (API token and key, the one a rotation kept
  in overlap, its DPO credential): its calls are answered 401;
* its subscriptions are closed, and routing and notices skip it from then on;
* what was not yet sent to it is cancelled with the reason `member_left` (pending or
  dead-lettered webhooks, its unread feed): never sent later, never replayable, and a
  sender already under way checks each delivery again just before its POST;
* its row stays, with when it left and who recorded it: the access log and art. 15
  reports still name it; its own fiches stay, attributed to it (they were shared with
  the porteur's consent to the network, not to the member alone).

A member that left and is listed again is refused unless named with `--readmit`; it
then comes back without any former credential: the load issues new ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any

from hub.bootstrap import Hub
from hub.domain import actors
from hub.errors import NetworkChangeUnconfirmed, NotFound
from hub.services.audit import trail as audit
from hub.store.uow import UnitOfWork

COMMAND_LINE = actors.COMMAND_LINE  # who recorded a change made from `capactif`


@dataclasses.dataclass(frozen=True)
class Departure:
    """A member that left, and what was withdrawn from it."""

    member_id: str
    webhooks_cancelled: int
    feed_cancelled: int
    subscriptions_closed: int


@dataclasses.dataclass(frozen=True)
class Changes:
    """The members a network file makes leave, and those it brings back."""

    leaving: list[str]
    returning: list[str]


def confirmed_changes(uow: UnitOfWork, listed: Iterable[str], leave: Collection[str],
                      readmit: Collection[str]) -> Changes:
    """The departures and returns of a network file listing `listed`, each confirmed by
    the operator (`leave`, `readmit`); NetworkChangeUnconfirmed naming what is not."""
    listed = set(listed)
    known = {m.id: m for m in uow.members.all()}
    leaving = sorted(m for m, member in known.items() if member.active and m not in listed)
    returning = sorted(m for m in listed if m in known and not known[m].active)
    _check(sorted(set(leaving) - set(leave)), (
        "membres absents du fichier, toujours actifs : {} ; pour acter leur sortie du "
        "réseau, relancez avec --leave MEMBRE pour chacun, sinon remettez-les dans le "
        "fichier. Rien n'a changé.",
        "members missing from the file, still active: {}; to record that they leave the "
        "network, run again with --leave MEMBER for each, or put them back in the file. "
        "Nothing changed."))
    _check(sorted(set(leave) - set(leaving)), (
        "--leave nomme des membres qui ne quittent pas le réseau (encore dans le fichier, "
        "déjà sortis ou inconnus) : {}. Rien n'a changé.",
        "--leave names members that are not leaving the network (still in the file, "
        "already gone or unknown): {}. Nothing changed."))
    _check(sorted(set(returning) - set(readmit)), (
        "membres sortis du réseau et de nouveau dans le fichier : {} ; pour les réadmettre "
        "(avec de nouveaux identifiants), relancez avec --readmit MEMBRE pour chacun. "
        "Rien n'a changé.",
        "members that left the network are in the file again: {}; to readmit them (with "
        "new credentials), run again with --readmit MEMBER for each. Nothing changed."))
    _check(sorted(set(readmit) - set(returning)), (
        "--readmit nomme des membres qui ne reviennent pas (actifs, absents du fichier ou "
        "inconnus) : {}. Rien n'a changé.",
        "--readmit names members that are not coming back (active, missing from the file "
        "or unknown): {}. Nothing changed."))
    return Changes(leaving, returning)


def leave(hub: Hub, uow: UnitOfWork, member_id: str, now: dt.datetime, by: str,
          actor: str) -> Departure:
    """Take a member out of the network within the caller's transaction (see above)."""
    uow.members.mark_left(member_id, now, by)
    uow.auditors.revoke(member_id)
    closed = uow.deliveries.close_subscriptions(member_id)
    cancelled = uow.deliveries.cancel_for_recipient(member_id)
    hub.audit.append_within(uow.connection, [_event(hub, "member_leave", member_id, by, actor)])
    return Departure(member_id, cancelled["webhook"], cancelled["feed"], closed)


def readmit(hub: Hub, uow: UnitOfWork, member_id: str, now: dt.datetime, by: str,
            actor: str) -> None:
    """Bring a member back, without any credential: the caller issues new ones. Whatever
    was planned for it as it left is withdrawn too: it starts afresh."""
    uow.deliveries.cancel_for_recipient(member_id)
    uow.deliveries.retire_for_recipient(member_id)
    uow.members.readmit(member_id, now)
    uow.auditors.revoke(member_id)
    hub.audit.append_within(uow.connection, [_event(hub, "member_readmit", member_id, by, actor)])


def account_id(hub: Hub, login: str) -> str:
    """The id of the console account `login` (who decided a departure), never its login."""
    with hub.uow() as uow:
        user = uow.users.by_login(login)
    if user is None:
        raise NotFound("--by ne nomme aucun compte de la console (capactif users list).",
                             "--by names no console account (capactif users list).")
    return user.id


def _event(hub: Hub, action: str, member_id: str, by: str, actor: str) -> Any:
    """Logged in the coordination's name; the account that acted, if any, as its user, and
    the member concerned as its one field (as for console accounts)."""
    user = None if by == COMMAND_LINE else by
    return audit.event(hub, action, actor, user=user, fields=(member_id,))


def _check(offending: list[str], messages: tuple[str, str]) -> None:
    if offending:
        names = ", ".join(offending)
        raise NetworkChangeUnconfirmed(messages[0].format(names), messages[1].format(names))
