"""The one answer to "may member M receive this porteur's data for purpose P now?".

Every path that discloses a fiche (push acceptance, delivery, feed, porteur
view, export) asks `may_receive` with the consent attached to the fiche.
The checks run from the most to the least general, so the reason names the
first thing that would have to change for the answer to become yes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from consent.model import ConsentRecord, Scope, Status, scope

__all__ = ["Decision", "Reason", "Scope", "may_receive", "refused", "scope", "usable"]


class Reason(enum.StrEnum):
    COVERED = "consent_covers"
    MISSING = "consent_missing"
    WITHDRAWN = "consent_withdrawn"
    EXPIRED = "consent_expired"
    PURPOSE = "purpose_not_covered"
    ROLE = "role_not_covered"
    MEMBER = "member_not_covered"
    ERASED = "data_erased"


_MESSAGES: dict[Reason, tuple[str, str]] = {
    Reason.COVERED: ("Le consentement couvre cette transmission.",
                     "The consent covers this disclosure."),
    Reason.MISSING: ("Aucun consentement enregistré : enregistrez-le avant de transmettre.",
                     "No recorded consent: record it before sharing."),
    Reason.WITHDRAWN: ("Le porteur a retiré son consentement : plus rien ne peut être transmis.",
                       "The porteur withdrew consent: nothing more may be shared."),
    Reason.EXPIRED: ("Le consentement a expiré : recueillez-en un nouveau.",
                     "The consent has expired: collect a new one."),
    Reason.PURPOSE: ("Le consentement ne couvre pas cette finalité.",
                     "The consent does not cover this purpose."),
    Reason.ROLE: ("Le consentement ne couvre pas le rôle de ce destinataire.",
                  "The consent does not cover this recipient's role."),
    Reason.MEMBER: ("Le consentement désigne nommément d'autres destinataires.",
                    "The consent names other recipients."),
    Reason.ERASED: ("Les données de ce porteur ont été effacées à sa demande.",
                    "This porteur's data was erased at their request."),
}


@dataclasses.dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason

    @property
    def code(self) -> str:
        return self.reason.value

    @property
    def message_fr(self) -> str:
        return _MESSAGES[self.reason][0]

    @property
    def message_en(self) -> str:
        return _MESSAGES[self.reason][1]


# Decisions are immutable: build each once (a check per delivery must stay cheap).
_ALLOWED = Decision(True, Reason.COVERED)
_REFUSED: dict[Reason, Decision] = {
    reason: Decision(False, reason) for reason in Reason if reason is not Reason.COVERED}


def refused(reason: Reason) -> Decision:
    return _REFUSED[reason]


def may_receive(
    consent: ConsentRecord | None,
    recipient_member_id: str,
    recipient_role: str,
    purpose: str,
    now: dt.datetime,
) -> Decision:
    """Whether `recipient_member_id` (of `recipient_role`) may receive data under
    `consent` for `purpose` at `now`.

    A recorded withdrawal refuses whatever its date (no clock skew can reopen it).

    Examples:
        >>> now = dt.datetime.now(dt.UTC)
        >>> may_receive(None, "pfil-est", "financement", "financement", now).reason
        <Reason.MISSING: 'consent_missing'>
    """
    usable_now = usable(consent, now, purpose)
    if consent is None or not usable_now.allowed:
        return usable_now
    if recipient_role not in consent.roles:
        return _REFUSED[Reason.ROLE]
    if consent.members and recipient_member_id not in consent.members:
        return _REFUSED[Reason.MEMBER]
    return _ALLOWED


def usable(consent: ConsentRecord | None, now: dt.datetime, purpose: str | None = None) -> Decision:
    """Whether `consent` is current at `now` (and covers `purpose` if given), whoever
    the recipient: the check at push time, and the first half of `may_receive`."""
    if consent is None:
        return _REFUSED[Reason.MISSING]
    if consent.withdrawn:
        return _REFUSED[Reason.WITHDRAWN]
    if consent.status(now) is Status.EXPIRED:
        return _REFUSED[Reason.EXPIRED]
    if purpose is not None and purpose not in consent.purposes:
        return _REFUSED[Reason.PURPOSE]
    return _ALLOWED
