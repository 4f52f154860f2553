"""How a recipient's webhook line moves after an answer (pure rules, no I/O).

A recipient's deliveries leave in its feed order, one at a time. An answer says either
that the recipient took the delivery (2xx), that it refuses it for good (a 4xx other
than 408, 425, 429: dead at once), that the recipient is unwell (502, 503, 504, 408,
425, 429, a 3xx, any answer asking to wait with `Retry-After`, no answer at all: the
line waits its backoff, whatever comes behind), or that this document may be what fails
(another 5xx: 500, 501, 505 and up, no `Retry-After`).

A head of line refused that way `PROBE_AFTER` times in a row is followed, at each such
failure, by a probe: the next delivery in line about another fiche. Accepted, the
recipient is well and this one document fails: the line goes on past the head, which
is retried on its own backoff until it is accepted or its give-up delay passes (then
it alone is dead-lettered). A probe refused the same way may be a second poison next to
the head: the next delivery about yet other fiches is tried, up to `PROBES` probes, and
once one is accepted the line goes past the refused probes too, each then a head gone
past on its own. Failed otherwise (or `PROBES` refused), the line waits as before; the
probes' own attempts are not counted against them, but a probe refused as a document is
not probed again by the head's next tries: they probe the next deliveries, so the line
gets past N poisons side by side in about N / `PROBES` tries of the head (and all the
probes refused before are gone past with the one accepted). Order is kept per fiche as
the recipient knows it (owner member, fiche id): every later delivery naming a fiche a
head the line went past names waits behind it (a later version, a notice about it, new
data under an id a notice withdrew), and so does every notice about its porteur (a
notice of a head passed holds back everything about its porteurs: it may ask the
recipient to delete what it holds of that person, data sent before it would be deleted
with it). A probe is never about a fiche the head or a refused probe names, nor about
the porteurs of a notice among them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

PROBE_AFTER = 3  # a head's 500s in a row before the next delivery in line is tried
PROBES = 3  # probes at most after one failed try of the head (poisons side by side)
_UNWELL_5XX = frozenset({502, 503, 504})  # a gateway, an overloaded or deploying recipient


class Answer(enum.Enum):
    ACCEPTED = "accepted"  # 2xx
    REFUSED = "refused"  # a 4xx other than 408, 425, 429: final, never tried again
    UNWELL = "unwell"  # the recipient cannot take anything now: the line waits
    DOCUMENT = "document"  # this document may be what fails: another 5xx


class Step(enum.Enum):
    WAIT = "wait"  # the line waits for the head's next try
    PROBE = "probe"  # try the next delivery in line about another fiche
    GO_PAST = "go_past"  # the line goes on past the head, retried on its own backoff


_RETRYABLE_4XX = frozenset({408, 425, 429})


def answer_of(status: int, asked_to_wait: bool = False) -> Answer:
    """What one POST's answer says (`status` 0: no answer, a network error, a timeout or a
    cut-off; `asked_to_wait`: it carried a `Retry-After`)."""
    if 200 <= status < 300:
        return Answer.ACCEPTED
    if 400 <= status < 500 and status not in _RETRYABLE_4XX:
        return Answer.REFUSED
    if 500 <= status < 600 and status not in _UNWELL_5XX and not asked_to_wait:
        return Answer.DOCUMENT
    return Answer.UNWELL


def refused_after(refused_in_a_row: int, answer: Answer) -> int:
    """The head's document failures in a row after `answer` (a recipient unwell starts
    the count again: its 500s in between say nothing of the document)."""
    return refused_in_a_row + 1 if answer is Answer.DOCUMENT else 0


def after_failure(refused_in_a_row: int) -> Step:
    """What follows a head's failed try, given its document failures in a row counting
    that try (0 when the recipient was unwell): a probe once they reach `PROBE_AFTER`."""
    return Step.PROBE if refused_in_a_row >= PROBE_AFTER else Step.WAIT


def after_probe(probe: Answer | None, probes: int = 1) -> Step:
    """What follows a probe's answer, given how many probes went after this try of the
    head counting it (None: no delivery about other fiches to probe with): the line goes
    past the head only when the recipient accepted the probe; a probe refused as a
    document (a 500: another poison, maybe) is followed by the next while fewer than
    `PROBES` went."""
    if probe is Answer.ACCEPTED:
        return Step.GO_PAST
    return Step.PROBE if probe is Answer.DOCUMENT and probes < PROBES else Step.WAIT


Name = tuple[str, str]  # a fiche as recipients know it: (owner member, fiche id)


def named_fiches(document: Mapping[str, Any]) -> frozenset[Name]:
    """The fiches a delivery's document names as recipients know them: its `source`, or
    each of its `sources` (a notice about several fiches); none for a notice about a
    porteur alone."""
    named = [document.get("source"), *(document.get("sources") or [])]
    return frozenset((s["membre"], s["fiche_id"]) for s in named
                     if isinstance(s, dict) and "membre" in s and "fiche_id" in s)


@dataclasses.dataclass(frozen=True)
class About:
    """What a delivery is about, as `HeldBack` reads it: the fiches it names as the
    recipient knows them (a data delivery its fiche; a notice every fiche it names: all
    those of a batch), the hub's fiche it was planned for, its porteurs, and whether it
    is a notice. A fiche id withdrawn and pushed again is a new fiche for the hub, the
    same one for the recipient: order is kept by name."""

    names: frozenset[Name] = frozenset()
    fiche: int | None = None
    porteurs: frozenset[str] = frozenset()
    notice: bool = False


class HeldBack:
    """What waits behind the deliveries a line went past: everything naming a fiche they
    name (later data, and notices about it; data after a notice about it), notices about
    their porteurs, and, behind a notice, everything about its porteurs."""

    def __init__(self) -> None:
        self._names: set[Name] = set()
        self._fiches: set[int] = set()
        self._every_delivery_of: set[str] = set()  # porteurs of notices passed
        self._notices_of: set[str] = set()  # porteurs of data passed

    def hold_behind(self, about: About) -> None:
        self._names |= about.names
        if about.fiche is not None:
            self._fiches.add(about.fiche)
        (self._every_delivery_of if about.notice else self._notices_of).update(about.porteurs)

    def holds(self, about: About) -> bool:
        if not self._names.isdisjoint(about.names) or about.fiche in self._fiches:
            return True
        return not self._every_delivery_of.isdisjoint(about.porteurs) or (
            about.notice and not self._notices_of.isdisjoint(about.porteurs)
        )
