"""One sending run to one recipient: its pending deliveries POSTed in feed order, and
always in order per fiche, retried with exponential backoff and jitter on 5xx, 3xx and
network errors, never on 4xx, and dead-lettered after the retry budget (replayable). A
head of line the recipient keeps refusing with a 500 while it takes the next delivery
about other fiches (a probe) is gone past, and retried on its own; so is a probe refused
the same way beside it (`hub.domain.webhook_line`). A `Retry-After` is honoured up to an
hour.

Each outcome is committed together with the access event of the disclosure it records,
at least once a second, so no crash can separate a sent delivery from its
`webhook_delivery` event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson

from hub.bootstrap import Hub
from hub.domain.webhook_line import (
    PROBES,
    About,
    Answer,
    HeldBack,
    Step,
    after_failure,
    after_probe,
    answer_of,
    named_fiches,
    refused_after,
)
from hub.services.audit import trail as audit
from hub.services.delivery.coverage import coverage
from hub.services.delivery.delivery_lease import RecipientLease
from hub.services.delivery.webhook_post import CUT_OFF, TIMED_OUT, post
from hub.store.delivery_repository import CANCELLED, DATA_EVENTS, DEAD, ERASED_SINCE, SENT
from hub.store.records import Delivery, FicheSources, Member

log = logging.getLogger(__name__)
STOPPING = threading.Event()  # set once the process stops its senders
_PAGE = 50
_PROBE_REACH = 500  # deliveries read past the head's page, at most, to find a probe
_GIVE_UP_PAGE = 1000
_FLUSH_EVERY_S = 1.0
_RETRY_AFTER_MAX_S = 3600.0  # a recipient's Retry-After is honoured up to this


@dataclasses.dataclass
class DispatchSummary:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    cancelled: int = 0

    def add(self, other: DispatchSummary) -> None:
        for name in ("sent", "failed", "dead", "cancelled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def backoff_delay(hub: Hub, attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter between half and the whole delay."""
    settings = hub.settings
    ceiling = min(settings.webhook_retry_max_s, settings.webhook_retry_base_s * 2 ** (attempts - 1))
    return ceiling * (0.5 + 0.5 * (rng or random).random())


class _Outcomes:
    """Outcomes waiting to be committed, each with the access event it implies."""

    def __init__(self, hub: Hub, member_id: str) -> None:
        self.hub, self.member_id = hub, member_id
        self.rows: list[tuple[int, dict[str, Any], Any]] = []
        self.postpone: tuple[int, dt.datetime] | None = None
        self.give_up: tuple[dt.datetime, str, bool] | None = None  # cut-off, error, untried too
        self._flushed_at = time.monotonic()

    def add(self, delivery_id: int, values: dict[str, Any], event: Any = None) -> None:
        self.rows.append((delivery_id, values, event))

    def flush_if_due(self) -> None:
        if time.monotonic() - self._flushed_at >= _FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> int:
        """Outcomes and their access events in one transaction: both or neither. A sender
        paused past its lease (a VM paused, a stuck process) may find deliveries it sent
        sent and logged by the sender that took the recipient over: it records neither
        their outcome nor a second event of that disclosure.
        Returns how many more deliveries were given up with the head of line."""
        given_up = 0
        if self.rows:
            with self.hub.uow() as uow:
                events = [event for delivery_id, values, event in self.rows
                          if uow.deliveries.set_outcome(delivery_id, **values)
                          and event is not None]
                if self.give_up is not None:
                    given_up = self._give_up_expired(uow, *self.give_up)
                if self.postpone is not None:
                    uow.deliveries.postpone_next(self.member_id, *self.postpone)
                self.hub.audit.append_within(uow.connection, events)  # its lock: last
                uow.commit()
        self.rows, self.postpone, self.give_up = [], None, None
        self._flushed_at = time.monotonic()
        return given_up

    def _give_up_expired(self, uow: Any, planned_before: dt.datetime, error: str,
                         untried_too: bool) -> int:
        """Every pending delivery past its give-up delay is dead-lettered with the head of
        line, a page per statement: after a long outage they were each tried once, one
        per backoff (about 30 minutes per 1,000). Those never tried go too only when the
        head's last answer said the recipient is unwell (an outage), not when it refused
        one document (`Deliveries.give_up_expired`). Nothing was disclosed: no access
        event."""
        total = 0
        while (count := uow.deliveries.give_up_expired(
                self.member_id, planned_before, error, _GIVE_UP_PAGE,
                untried_too=untried_too)) == _GIVE_UP_PAGE:
            total += count
        return total + count


class _Pace:
    """At most HUB_WEBHOOK_RATE_PER_RECIPIENT POSTs a second to one recipient (0: no
    cap): a recipient back after a long outage gets its backlog spread out, not in a
    burst."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = -math.inf

    def wait(self) -> bool:
        """Wait for the next POST's turn; False when the process stops meanwhile."""
        now = _pace_clock.now()
        if self._next > now:
            if _pace_clock.sleep(self._next - now):
                return False
            now = self._next
        self._next = now + self.interval
        return True


class _PaceClock:
    now = staticmethod(time.monotonic)

    @staticmethod
    def sleep(seconds: float) -> bool:
        """Sleep; True when woken by the process stopping."""
        return STOPPING.wait(seconds)


_pace_clock = _PaceClock()


def send_in_order(hub: Hub, member: Member, lease: RecipientLease,
                   summary: DispatchSummary) -> None:
    """Send the recipient's pending deliveries page by page, in feed order, past the heads
    the line goes past (`hub.domain.webhook_line`). A crash before an outcome is committed
    re-sends deliveries that carry the same idempotency key, which recipients use to
    ignore repeats."""
    pace = _Pace(hub.settings.webhook_rate_per_recipient)
    line, after = _Line(), 0
    while True:
        page, sources = _read_page(hub, member.id, after)
        if not page:
            return
        outcomes = _Outcomes(hub, member.id)
        sending = _Sending(hub, member, lease, pace, sources, outcomes, summary, line)
        try:
            if not _send_page(sending, page):
                return
        finally:
            summary.dead += outcomes.flush()
        after = page[-1].position


def _read_page(hub: Hub, member_id: str, after: int) -> tuple[list[Delivery], FicheSources]:
    """The recipient's next `_PAGE` pending deliveries past position `after`, with the
    fiche versions they carry."""
    with hub.uow() as uow:
        page = uow.deliveries.next_pending(member_id, _PAGE, after)
        sources = uow.fiches.sources_of(
            (d.fiche_pk, d.fiche_version) for d in page
            if d.fiche_pk is not None and d.fiche_version is not None)
    return page, sources


class _Line:
    """What one sending run learns of the recipient's line as it reads it: what waits
    behind the heads it went past, the deliveries dealt with already (a probe), and
    until when the line waits once a head passed found the recipient unwell."""

    def __init__(self) -> None:
        self.held = HeldBack()
        self.done: set[int] = set()
        self.waits_until: dt.datetime | None = None

    def hold_behind(self, delivery: Delivery) -> None:
        self.held.hold_behind(_about(delivery))

    def holds(self, delivery: Delivery) -> bool:
        return self.held.holds(_about(delivery))


def _about(delivery: Delivery) -> About:
    """What a delivery is about, as `HeldBack` reads it: the fiches its document names
    (`source`, or each of `sources`: a notice about several fiches), its porteur."""
    names = named_fiches(orjson.loads(delivery.document))
    porteur = None if delivery.porteur_id == "-" else delivery.porteur_id
    return About(names, delivery.fiche_pk, frozenset({porteur} if porteur else ()),
                 delivery.event not in DATA_EVENTS)


@dataclasses.dataclass
class _Sending:
    """One sending run to one recipient: what each POST needs and records."""

    hub: Hub
    member: Member
    lease: RecipientLease
    pace: _Pace
    sources: FicheSources
    outcomes: _Outcomes
    summary: DispatchSummary
    line: _Line

    def erased(self, delivery: Delivery) -> bool:
        """Whether `delivery` carries data erased since it was planned (its fiche's, or
        the recipient's own erasure of the porteur: it reads as withdrawn): it can be
        neither read nor sent, whatever state put it in line (a replay, a restore), and is
        settled as the erasure settles what had not left, never holding the line."""
        if delivery.payload is not None:
            return False
        log.warning("webhook delivery %s to %s settled unsent: its data was erased",
                    delivery.id, self.member.id)
        self.outcomes.add(delivery.id, {"status": CANCELLED, "last_error": ERASED_SINCE,
                                        "next_attempt_at": None})
        self.summary.cancelled += 1
        self.line.done.add(delivery.id)
        return True

    def ready(self, delivery: Delivery) -> bool | None:
        """Whether `delivery` may be POSTed now: False when it is no longer to send (no
        longer allowed: cancelled; or cancelled since the page was read, its recipient
        having left the network), None when sending stops here (the process stops, or
        the lease may end before the POST: resumed later)."""
        if not _still_allowed(self.hub, self.member, delivery, self.sources):
            self.outcomes.add(delivery.id, {"status": CANCELLED,
                                            "last_error": "consent_no_longer_covers"})
            self.summary.cancelled += 1
            self.line.done.add(delivery.id)
            return False
        if not self.pace.wait() or STOPPING.is_set() or not self.lease.may_send():
            return None
        return _still_to_send(self.hub, delivery)


def _send_page(sending: _Sending, page: list[Delivery]) -> bool:
    """True when the whole page was dealt with and the next page may follow."""
    line = sending.line
    for index, delivery in enumerate(page):
        if delivery.id in line.done or sending.erased(delivery):
            continue
        if line.holds(delivery):  # behind a head the line went past: its fiches' order is
            line.hold_behind(delivery)  # kept, and so is the order of what follows about it
            continue
        now = sending.hub.clock()
        due = _is_due(delivery, now)
        if delivery.passed_at is not None and (not due or line.waits_until is not None):
            line.hold_behind(delivery)
            continue
        if line.waits_until is not None:  # the recipient is unwell: the line waits
            _postpone(sending.outcomes, delivery, line.waits_until)
            return False
        if not due:
            return False  # the head of the line waits: later deliveries keep their order
        ready = sending.ready(delivery)
        if ready is None:
            return False  # stopping, or the lease may end before this POST: resume later
        if ready and not _attempt(sending, delivery, page[index + 1:]):
            return False
        sending.outcomes.flush_if_due()
    return True


def _is_due(delivery: Delivery, now: dt.datetime) -> bool:
    return delivery.next_attempt_at is None or _aware(delivery.next_attempt_at) <= now


def _postpone(outcomes: _Outcomes, delivery: Delivery, until: dt.datetime) -> None:
    if delivery.next_attempt_at is None or _aware(delivery.next_attempt_at) < until:
        outcomes.add(delivery.id, {"next_attempt_at": until})


def _still_to_send(hub: Hub, delivery: Delivery) -> bool:
    with hub.uow() as uow:
        return uow.deliveries.still_to_send(delivery.id)


def _still_allowed(hub: Hub, member: Member, delivery: Delivery, sources: FicheSources) -> bool:
    """Sent whole or not at all: a delivery the consent in force or the member's role
    policy now narrows is cancelled (the fiche's current version carries what is allowed)."""
    found = coverage(hub, delivery, delivery.source_in(sources), member.id, member.role)
    return found.allowed and found.paths is None


def _attempt(sending: _Sending, delivery: Delivery, later: list[Delivery]) -> bool:
    """POST one delivery; True when the line may move on to the next one. A failed POST
    whose request went out (any answer, or none after sending) disclosed the fiche all
    the same: it is logged as a `webhook_attempt` with its outcome."""
    hub = sending.hub
    status, error, asked_delay, sent = post(hub, sending.member, delivery)
    answer = answer_of(status, asked_delay is not None)
    attempts = delivery.attempts + 1
    if _settled(sending, delivery, answer, error, sent, attempts):
        return True
    now = hub.clock()
    values = _failed(delivery, answer, error, now)
    attempted = _disclosed(hub, sending.member, delivery, "webhook_attempt") if sent else None
    passed = delivery.passed_at is not None
    delay, step = _retry_delay(hub, attempts, error, asked_delay), Step.WAIT
    if not passed and after_failure(values["refused_in_a_row"]) is Step.PROBE:
        step, probe_delay = _probe(sending, delivery, later)
        delay = max(delay, probe_delay)
    retry_at = now + dt.timedelta(seconds=delay)
    if passed or step is Step.GO_PAST:
        return _gone_past(sending, delivery, values, attempted, answer, retry_at)
    if _given_up(hub, delivery, now):
        # Dead-lettered with every other delivery past its give-up delay, and the next in
        # line waits the backoff too: after a long outage the queued deliveries are not
        # each tried once in a burst.
        sending.outcomes.add(delivery.id, {**values, "status": DEAD}, attempted)
        sending.outcomes.give_up = (now - dt.timedelta(seconds=hub.settings.webhook_give_up_after_s),
                                    f"given_up_with_line_{error}", answer is Answer.UNWELL)
        sending.outcomes.postpone = (delivery.position, retry_at)
        sending.summary.dead += 1
        return False
    sending.outcomes.add(delivery.id, {**values, "next_attempt_at": retry_at}, attempted)
    sending.summary.failed += 1
    return False


def _failed(delivery: Delivery, answer: Answer, error: str, now: dt.datetime) -> dict[str, Any]:
    """What a failed try of `delivery` records, whatever follows it."""
    return {"attempts": delivery.attempts + 1, "last_error": error,
            "refused_in_a_row": refused_after(delivery.refused_in_a_row, answer),
            "retrying_since": _give_up_clock(delivery, now)}


def _gone_past(sending: _Sending, delivery: Delivery, values: dict[str, Any], attempted: Any,
               answer: Answer, retry_at: dt.datetime) -> bool:
    """Record a failed try of a head the line goes past: tried again on its own backoff,
    or, past its give-up delay, dead-lettered alone (the recipient takes the others).
    The line goes on unless the recipient is unwell."""
    now = sending.hub.clock()
    if _given_up(sending.hub, delivery, now):
        sending.outcomes.add(delivery.id, {**values, "status": DEAD}, attempted)
        sending.summary.dead += 1
    else:
        sending.outcomes.add(delivery.id, {**values, "next_attempt_at": retry_at,
                                           "passed_at": delivery.passed_at or now}, attempted)
        sending.line.hold_behind(delivery)
        sending.summary.failed += 1
    if answer is Answer.UNWELL:
        sending.line.waits_until = retry_at
    return True


def _settled(sending: _Sending, delivery: Delivery, answer: Answer, error: str, sent: bool,
             attempts: int) -> bool:
    """Record a POST that needs no retry: accepted (sent, with its `webhook_delivery`
    event) or refused for good (dead at once); False for a failure to retry."""
    hub, member = sending.hub, sending.member
    if answer is Answer.ACCEPTED:
        sending.outcomes.add(delivery.id, {"status": SENT, "attempts": attempts,
                                           "sent_at": hub.clock(), "last_error": None},
                             _disclosed(hub, member, delivery))
        sending.summary.sent += 1
    elif answer is Answer.REFUSED:
        attempted = _disclosed(hub, member, delivery, "webhook_attempt") if sent else None
        sending.outcomes.add(delivery.id, {"status": DEAD, "attempts": attempts,
                                           "last_error": error}, attempted)
        sending.summary.dead += 1
    else:
        return False
    sending.line.done.add(delivery.id)
    return True


def _retry_delay(hub: Hub, attempts: int, error: str, asked_delay: float | None) -> float:
    """The backoff after a failed attempt, or what the recipient asked (`Retry-After`, up
    to an hour) if longer."""
    delay = max(backoff_delay(hub, attempts), min(asked_delay or 0.0, _RETRY_AFTER_MAX_S))
    if error in (TIMED_OUT, CUT_OFF):
        # The recipient may still be handling the request the hub hung up on: the next
        # one waits at least one more read timeout, so it does not open a second stream.
        delay = max(delay, hub.settings.webhook_timeout_s)
    return delay


_Refused = tuple[Delivery, dict[str, Any], Any]  # a probe refused: its values, its event


def _probe(sending: _Sending, head: Delivery, later: list[Delivery]) -> tuple[Step, float]:
    """POST the next delivery in line about none of the fiches the head names (`later`:
    the rest of its page; the line past it is read on, up to `_PROBE_REACH`), to tell
    "the recipient is unwell" from "this document fails". One refused as a document (a
    second poison beside the head, maybe) is followed by the next about yet other
    fiches, up to `PROBES`; one refused so by an earlier try of the head is not tried
    again (the next ones are: the line gets past N poisons side by side in about
    N / `PROBES` tries of the head). Returns `Step.GO_PAST` once one is accepted (the
    refused probes, earlier ones too, are then gone past like the head, each retried on
    its own backoff), else `Step.WAIT` (their failures are not counted against their
    attempts: the line waits for the head, not for them; their POSTs are logged like any
    other, and start their give-up clock), with the least wait a failure asks of the
    line."""
    about_head = HeldBack()  # the head, the refused probes, and what a probe may not go past
    about_head.hold_behind(_about(head))
    refused: list[_Refused] = []
    earlier: list[_Refused] = []  # refused as probes by earlier tries of the head
    answer: Answer | None = None
    delay, probes, now = 0.0, 0, sending.hub.clock()
    for delivery in _probe_candidates(sending, head, later):
        if delivery.id in sending.line.done or sending.erased(delivery):
            continue
        about = _about(delivery)
        if sending.line.holds(delivery) or about_head.holds(about) \
                or delivery.passed_at is not None:
            about_head.hold_behind(about)  # nothing after it about its fiches goes past it
            continue
        if delivery.refused_in_a_row:  # refused as a probe by an earlier try: the next ones
            earlier.append((delivery, {"attempts": delivery.attempts + 1,  # are tried now
                                       "last_error": delivery.last_error}, None))
            about_head.hold_behind(about)
            continue
        ready = sending.ready(delivery) if _is_due(delivery, now) else None
        if ready is None:
            break  # the line would wait there anyway, or sending stops here
        if not ready:
            continue
        answer, error, delay, attempted = _probe_one(sending, delivery)
        probes += 1
        if answer is Answer.DOCUMENT:
            refused.append((delivery, _failed(delivery, answer, error, now), attempted))
            about_head.hold_behind(about)
        elif answer is Answer.UNWELL:
            sending.outcomes.add(delivery.id, _left(delivery, attempted, now), attempted)
        if after_probe(answer, probes) is not Step.PROBE:
            break
    step = after_probe(answer, PROBES)  # no probe left to send: past the head, or wait
    gone_past = step is Step.GO_PAST
    _settle_refused_probes(sending, refused + (earlier if gone_past else []), gone_past)
    return step, delay


def _left(delivery: Delivery, attempted: Any, now: dt.datetime) -> dict[str, Any]:
    """What a failed probe records, not counted against it: when its POST went out, its
    give-up clock (from then on it may have left: a withdrawal or an erasure of its fiche
    notifies its recipient, `Deliveries.data_recipients`)."""
    return {} if attempted is None else {"retrying_since": _give_up_clock(delivery, now)}


def _probe_one(sending: _Sending, delivery: Delivery) -> tuple[Answer, str, float, Any]:
    """POST one probe: (its answer, its error code, the least wait its failure asks of
    the line, the `webhook_attempt` event of a failed POST that went out)."""
    status, error, asked_delay, sent = post(sending.hub, sending.member, delivery)
    answer = answer_of(status, asked_delay is not None)
    if _settled(sending, delivery, answer, error, sent, delivery.attempts + 1):
        return answer, error, 0.0, None
    attempted = _disclosed(sending.hub, sending.member, delivery, "webhook_attempt") if sent else None
    delay = _retry_delay(sending.hub, 1, error, asked_delay) if answer is Answer.UNWELL else 0.0
    return answer, error, delay, attempted


def _settle_refused_probes(sending: _Sending, refused: list[_Refused], gone_past: bool) -> None:
    """Record the probes refused as documents: gone past like the head when a later
    probe was accepted (the recipient is well, these documents fail: each is retried on
    its own backoff and holds back what follows about its fiches), else their POSTs
    and their refusals, not counted against their attempts: the head's next try probes
    past them."""
    for delivery, values, attempted in refused:
        if not gone_past:
            sending.outcomes.add(delivery.id, {
                "last_error": values["last_error"], "refused_in_a_row": values["refused_in_a_row"],
                **_left(delivery, attempted, sending.hub.clock())}, attempted)
            continue
        retry_at = sending.hub.clock() + dt.timedelta(
            seconds=_retry_delay(sending.hub, values["attempts"], values["last_error"], None))
        _gone_past(sending, delivery, values, attempted, Answer.DOCUMENT, retry_at)
        sending.line.done.add(delivery.id)


def _probe_candidates(sending: _Sending, head: Delivery, later: list[Delivery]) -> Iterator[Delivery]:
    """The deliveries a probe may be taken from, in line order: the rest of the head's
    page, then the line past it read a page at a time (their fiche versions added to the
    run's), `_PROBE_REACH` deliveries at most (a poison with many versions and notices
    behind it)."""
    yield from later
    after, read = (later[-1] if later else head).position, 0
    while read < _PROBE_REACH:
        page, sources = _read_page(sending.hub, sending.member.id, after)
        if not page:
            return
        sending.sources.update(sources)
        yield from page
        read, after = read + len(page), page[-1].position


def _given_up(hub: Hub, delivery: Delivery, now: dt.datetime) -> bool:
    """Failing for longer than HUB_WEBHOOK_GIVE_UP_AFTER_S since its give-up clock
    started (`_give_up_clock`)."""
    since = _give_up_clock(delivery, now)
    return (now - since).total_seconds() > hub.settings.webhook_give_up_after_s


def _give_up_clock(delivery: Delivery, now: dt.datetime) -> dt.datetime:
    """When a delivery's give-up clock started: at its first try as head of its line
    (`now` for a delivery never tried: the time it waited behind others, held behind a
    head gone past or in a long line, was not time failing), or at its replay (a whole
    new retry budget); when it was planned for one tried before the clock was kept."""
    if delivery.retrying_since is not None:
        return _aware(delivery.retrying_since)
    return now if delivery.attempts == 0 else _aware(delivery.created_at)


def _disclosed(hub: Hub, member: Member, delivery: Delivery,
               action: str = "webhook_delivery") -> Any:
    source = orjson.loads(delivery.document).get("source", {})
    fiches = [(source["membre"], source["fiche_id"])] if "fiche_id" in source else []
    return audit.event(hub, action, member.id, porteur_id=delivery.porteur_id,
                       fiches=fiches, fields=delivery.fields, purpose=delivery.purpose,
                       policy_version=delivery.policy_version)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
