"""Send webhook deliveries: signed by the hub, in feed order per recipient and always in
order per fiche, retried with exponential backoff and jitter on 5xx, 3xx and network
errors, never on 4xx, and dead-lettered after the retry budget (replayable). A head of
line the recipient keeps refusing with a 500 while it takes the next delivery about
another fiche (a probe) is gone past, and retried on its own (`hub.domain.webhook_line`).
A redirect is never followed (the fiche's fields would go to an address the network
never vetted, and a GET answered there would count as the delivery); a `Retry-After`
is honoured up to an hour.

One sender thread per due recipient, each holding a renewed lease on that recipient
(`hub.services.delivery.delivery_lease`), so a slow or failing recipient never delays the others
and two workers never send the same recipient's deliveries at once. Each outcome is
committed together with the access event of the disclosure it records, at least once a
second, so no crash can separate a sent delivery from its `webhook_delivery` event.
In a worker the senders are threads of their own (`start_dispatch`): sending never
holds a worker slot, so ingest is never starved by a slow recipient.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import logging
import math
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import requests
from urllib3.exceptions import NewConnectionError

from hub.bootstrap import Hub
from hub.domain.ids import MAX_INT64
from hub.domain.webhook_line import (
    About,
    Answer,
    HeldBack,
    Step,
    after_failure,
    after_probe,
    answer_of,
    refused_after,
)
from hub.errors import BadRequest, UnknownMember
from hub.keys import b64url
from hub.services.audit import trail as audit
from hub.services.delivery.coverage import coverage
from hub.services.delivery.delivery_lease import RecipientLease
from hub.store.delivery_repository import CANCELLED, DATA_EVENTS, DEAD, SENT
from hub.store.records import Delivery, FicheSources, Member
from hub.store.uow import UnitOfWork
from hub.webhook_session import cancelling, cut_off, post_done, retry_after_s, skim

log = logging.getLogger(__name__)

_PAGE = 50
_GIVE_UP_PAGE = 1000
_FLUSH_EVERY_S = 1.0
_TIMED_OUT = "network_ReadTimeout"
_CUT_OFF = "network_cut_off"  # the POST was cut off: no answer, whatever part of one came
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


def dispatch_webhooks(hub: Hub) -> DispatchSummary:
    """Send every due webhook delivery now and wait; returns what happened."""
    total = DispatchSummary()
    due = _due(hub)
    if not due:
        return total
    with ThreadPoolExecutor(max_workers=min(hub.settings.webhook_senders, len(due)),
                            thread_name_prefix="webhook") as pool:
        for summary in pool.map(lambda member: _dispatch_recipient(hub, member), due):
            total.add(summary)
    return total


_senders: dict[str, threading.Thread] = {}
_senders_lock = threading.Lock()
_stopping = threading.Event()
_STOP_WAIT_S = 60.0  # a sender finishes its POST under way (HUB_WEBHOOK_TIMEOUT_S at most)


def start_dispatch(hub: Hub) -> int:
    """Start a sender thread for each due recipient this process is not sending to yet
    (at most HUB_WEBHOOK_SENDERS at once) and return at once; returns how many started."""
    if _stopping.is_set():
        return 0
    due = _due(hub)
    started = 0
    with _senders_lock:
        for member_id in [m for m, thread in _senders.items() if not thread.is_alive()]:
            del _senders[member_id]
        for member_id in due:
            if _stopping.is_set():  # checked under the lock: a sender started is joined
                break
            if member_id in _senders or len(_senders) >= hub.settings.webhook_senders:
                continue
            thread = threading.Thread(target=_send_logged, args=(hub, member_id), daemon=True,
                                      name=f"webhook-{member_id}")
            _senders[member_id] = thread
            thread.start()
            started += 1
    return started


def stop_senders() -> None:
    """The process is stopping: each sender finishes the POST under way, commits its
    outcomes with their access events and gives its lease back, so another worker may
    take the recipient over at once instead of when the lease would end."""
    _stopping.set()
    with _senders_lock:
        threads = list(_senders.values())
    deadline = time.monotonic() + _STOP_WAIT_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def stopping(wait_s: float) -> bool:
    """Wait up to `wait_s` seconds; True once the process is stopping its senders."""
    return _stopping.wait(wait_s)


def _due(hub: Hub) -> list[str]:
    """Recipients with a delivery due and no sender holding their lease: every worker's
    timer asks (`hub.services.ops.worker_timers`), and a recipient another worker
    sends to costs it no thread nor claim."""
    with hub.read_uow() as uow:
        now = hub.clock()
        due = uow.deliveries.due_recipients(now)
        held = uow.deliveries.leased_recipients(due, now)
    return [member_id for member_id in due if member_id not in held]


def _send_logged(hub: Hub, member_id: str) -> None:
    try:
        _dispatch_recipient(hub, member_id)
    except Exception as exc:  # a background thread: log, the periodic dispatch tries again
        log.warning("webhook sending to %s stopped (%s); the next dispatch resumes it",
                    member_id, type(exc).__name__)


def sign_webhook(hub: Hub, body: bytes, msg_id: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers of a hub-signed webhook: Standard Webhooks `v1a` (Ed25519 over
    `msg_id.timestamp.body`; during a key rotation, one signature per key: the current one
    and the announced next one), and until HUB_LEGACY_SIGNATURES_UNTIL also the former
    X-Capactif-Signature (Ed25519 over `timestamp + "\\n" + body`)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    content = f"{msg_id}.{ts}.".encode() + body
    standard = " ".join("v1a," + base64.b64encode(key.sign(content)).decode("ascii")
                        for key in hub.hub_keys.signing_keys())  # + the announced next key
    headers = {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": standard,
               "X-Capactif-Key-Id": hub.hub_key.key_id, "Content-Type": "application/json"}
    if hub.clock() < hub.settings.legacy_signatures_end:
        headers["X-Capactif-Timestamp"] = ts
        headers["X-Capactif-Signature"] = b64url(hub.hub_key.sign(ts.encode() + b"\n" + body))
    return headers


def backoff_delay(hub: Hub, attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter between half and the whole delay."""
    settings = hub.settings
    ceiling = min(settings.webhook_retry_max_s, settings.webhook_retry_base_s * 2 ** (attempts - 1))
    return ceiling * (0.5 + 0.5 * (rng or random).random())


def _dispatch_recipient(hub: Hub, member_id: str) -> DispatchSummary:
    summary = DispatchSummary()
    lease = RecipientLease(hub, member_id)
    if not lease.acquire():
        return summary
    try:
        with hub.uow() as uow:
            member = uow.members.get(member_id)
            if member is not None and not member.active:
                # planned by a worker that read the network just before the member left
                summary.cancelled += sum(uow.deliveries.cancel_for_recipient(member_id).values())
                uow.commit()
        if member is not None and member.active:  # one that left gets nothing, ever
            with cancelling(lease.posts):  # cut off if the lease may end meanwhile
                _send_in_order(hub, member, lease, summary)
    finally:
        lease.release()
    return summary


class _Outcomes:
    """Outcomes waiting to be committed, each with the access event it implies."""

    def __init__(self, hub: Hub, member_id: str) -> None:
        self.hub, self.member_id = hub, member_id
        self.rows: list[tuple[int, dict[str, Any], Any]] = []
        self.postpone: tuple[int, dt.datetime] | None = None
        self.give_up: tuple[dt.datetime, str] | None = None
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

    def _give_up_expired(self, uow: Any, planned_before: dt.datetime, error: str) -> int:
        """Every pending delivery past its give-up delay is dead-lettered with the head of
        line, a page per statement: after a long outage they were each tried once, one
        per backoff (about 30 minutes per 1,000). Nothing was disclosed: no access event."""
        total = 0
        while (count := uow.deliveries.give_up_expired(
                self.member_id, planned_before, error, _GIVE_UP_PAGE)) == _GIVE_UP_PAGE:
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
        return _stopping.wait(seconds)


_pace_clock = _PaceClock()


def _send_in_order(hub: Hub, member: Member, lease: RecipientLease,
                   summary: DispatchSummary) -> None:
    """Send the recipient's pending deliveries page by page, in feed order, past the heads
    the line goes past (`hub.domain.webhook_line`). A crash before an outcome is committed
    re-sends deliveries that carry the same idempotency key, which recipients use to
    ignore repeats."""
    pace = _Pace(hub.settings.webhook_rate_per_recipient)
    line, after = _Line(), 0
    while True:
        with hub.uow() as uow:
            page = uow.deliveries.next_pending(member.id, _PAGE, after)
            sources = uow.fiches.sources_of(
                (d.fiche_pk, d.fiche_version) for d in page
                if d.fiche_pk is not None and d.fiche_version is not None)
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
    document = orjson.loads(delivery.document)
    named = [document.get("source"), *(document.get("sources") or [])]
    names = frozenset((s["membre"], s["fiche_id"]) for s in named
                      if isinstance(s, dict) and "membre" in s and "fiche_id" in s)
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
        if not self.pace.wait() or _stopping.is_set() or not self.lease.may_send():
            return None
        return _still_to_send(self.hub, delivery)


def _send_page(sending: _Sending, page: list[Delivery]) -> bool:
    """True when the whole page was dealt with and the next page may follow."""
    line = sending.line
    for index, delivery in enumerate(page):
        if delivery.id in line.done:
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
    status, error, asked_delay, sent = _post(hub, sending.member, delivery)
    answer = answer_of(status, asked_delay is not None)
    attempts = delivery.attempts + 1
    if _settled(sending, delivery, answer, error, sent, attempts):
        return True
    now = hub.clock()
    refused = refused_after(delivery.refused_in_a_row, answer)
    values = {"attempts": attempts, "last_error": error, "refused_in_a_row": refused,
              "retrying_since": _give_up_clock(delivery, now)}
    attempted = _disclosed(hub, sending.member, delivery, "webhook_attempt") if sent else None
    passed = delivery.passed_at is not None
    delay, step = _retry_delay(hub, attempts, error, asked_delay), Step.WAIT
    if not passed and after_failure(refused) is Step.PROBE:
        probed, probe_delay = _probe(sending, delivery, later)
        step, delay = after_probe(probed), max(delay, probe_delay)
    retry_at = now + dt.timedelta(seconds=delay)
    if passed or step is Step.GO_PAST:
        return _gone_past(sending, delivery, values, attempted, answer, retry_at)
    if _given_up(hub, delivery, now):
        # Dead-lettered with every other delivery past its give-up delay, and the next in
        # line waits the backoff too: after a long outage the queued deliveries are not
        # each tried once in a burst.
        sending.outcomes.add(delivery.id, {**values, "status": DEAD}, attempted)
        sending.outcomes.give_up = (now - dt.timedelta(seconds=hub.settings.webhook_give_up_after_s),
                                    f"given_up_with_line_{error}")
        sending.outcomes.postpone = (delivery.position, retry_at)
        sending.summary.dead += 1
        return False
    sending.outcomes.add(delivery.id, {**values, "next_attempt_at": retry_at}, attempted)
    sending.summary.failed += 1
    return False


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
    if error in (_TIMED_OUT, _CUT_OFF):
        # The recipient may still be handling the request the hub hung up on: the next
        # one waits at least one more read timeout, so it does not open a second stream.
        delay = max(delay, hub.settings.webhook_timeout_s)
    return delay


def _probe(sending: _Sending, head: Delivery, later: list[Delivery]) -> tuple[Answer | None, float]:
    """POST the next delivery in line about another fiche than the head's (`later`: the
    rest of its page), to tell "the recipient is unwell" from "this document fails":
    (its answer, None when there was none to send; the least wait its failure asks of
    the line). A failure is not counted against it (the line waits for the head, not
    for it), though its POST is logged like any other."""
    about_head = HeldBack()  # the head, and what a probe may not go past
    about_head.hold_behind(_about(head))
    now = sending.hub.clock()
    for delivery in later:
        if delivery.id in sending.line.done:
            continue
        about = _about(delivery)
        if sending.line.holds(delivery) or about_head.holds(about) \
                or delivery.passed_at is not None:
            about_head.hold_behind(about)  # nothing after it about its fiches goes past it
            continue
        if not _is_due(delivery, now):
            return None, 0.0  # the line would wait there anyway
        ready = sending.ready(delivery)
        if ready is None:
            return None, 0.0
        if not ready:
            continue
        status, error, asked_delay, sent = _post(sending.hub, sending.member, delivery)
        answer = answer_of(status, asked_delay is not None)
        if not _settled(sending, delivery, answer, error, sent, delivery.attempts + 1):
            sending.outcomes.add(delivery.id, {}, _disclosed(
                sending.hub, sending.member, delivery, "webhook_attempt") if sent else None)
        return answer, _retry_delay(sending.hub, 1, error, asked_delay) \
            if answer is Answer.UNWELL else 0.0
    return None, 0.0


def _post(hub: Hub, member: Member, delivery: Delivery) -> tuple[int, str, float | None, bool]:
    """(status, error code, seconds the recipient asked to wait, whether the request may
    have gone out) of one POST."""
    body = delivery.document.encode()
    headers = sign_webhook(hub, body, delivery.idempotency_key)
    headers["Idempotency-Key"] = delivery.idempotency_key
    headers["X-Capactif-Delivery-Id"] = delivery.idempotency_key
    settings = hub.settings
    try:  # a URL removed since planning fails as a network error (MissingSchema), retried
        # A redirect is not followed: the delivery would go, signed, wherever the
        # member's endpoint points (another host, an address inside the hub's network)
        # and be logged as delivered to the member. A 3xx is a failed attempt.
        response = hub.webhook_session.post(
            member.webhook_url or "", data=body, headers=headers, allow_redirects=False,
            timeout=(settings.webhook_connect_timeout_s, settings.webhook_timeout_s),
            stream=True)
        skim(response)  # the body is read up to a small bound, never whole
    except requests.RequestException as exc:
        # cut off before its status line came whole, the POST fails as a connection
        # error: it is a cut-off all the same (the next try waits a read timeout)
        if cut_off():
            return 0, _CUT_OFF, None, True
        if isinstance(exc, requests.ReadTimeout):
            return 0, _TIMED_OUT, None, True
        return 0, f"network_{type(exc).__name__}", None, _may_have_sent(exc)
    finally:
        post_done()
    if cut_off():
        return 0, _CUT_OFF, None, True
    asked = retry_after_s(response.headers.get("Retry-After"), time.time())
    return response.status_code, f"http_{response.status_code}", asked, True


_NOTHING_SENT = (requests.ConnectTimeout, requests.exceptions.SSLError,
                 requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                 requests.exceptions.InvalidSchema)


def _may_have_sent(exc: requests.RequestException) -> bool:
    """False only when the POST failed before its request could go out: no URL, a
    connection never made (refused, a name not found, a connect timeout, a TLS
    handshake failed); a connection reset or closed after sending may have carried it."""
    if isinstance(exc, _NOTHING_SENT):
        return False
    return not _caused_by(exc, NewConnectionError)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is among the errors `exc` wraps (requests and urllib3 wrap their
    causes in `args`, `reason`, `__cause__` and `__context__`)."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        if isinstance(item, kind):
            return True
        seen.add(id(item))
        todo += [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
    return False


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


@dataclasses.dataclass(frozen=True)
class Replay:
    """What a replay did: dead letters put back in line, and those settled as superseded
    instead (a later version of their fiche was sent to the recipient or waits to be:
    sent after it, the older data would replace it)."""

    replayed: int
    superseded: int


def replay_dead(hub: Hub, *, delivery_id: int | None = None, member_id: str | None = None) -> Replay:
    """Put dead-lettered deliveries back in line: one member's (`delivery_id`: one of
    them, by its position in that member's line), or all (the operator; `delivery_id`:
    one by the hub's own id); never data older than a version of its fiche already sent
    or pending for the same recipient (settled as superseded: per-fiche order)."""
    if delivery_id is not None and not 1 <= delivery_id <= MAX_INT64:
        raise BadRequest(f"L'identifiant d'une livraison est entre 1 et {MAX_INT64}.",
                         f"A delivery id is between 1 and {MAX_INT64}.")
    with hub.uow() as uow:
        _known(uow, member_id)
        if member_id is not None and delivery_id is not None:
            _within_line(uow, member_id, delivery_id)
        count, superseded = uow.deliveries.replay(hub.clock(), delivery_id=delivery_id,
                                                  recipient_id=member_id)
        uow.commit()
    if count:
        hub.publisher.request_dispatch_safely()
    return Replay(count, superseded)


def _within_line(uow: UnitOfWork, member_id: str, position: int) -> None:
    """BadRequest for a position past the member's last: most likely one of the hub's
    global delivery numbers, the dead letters' `id` before they were positions."""
    if position > uow.deliveries.last_position(member_id):
        raise BadRequest("« delivery_id » est la position d'une livraison dans la file du membre "
                         "(l'« id » de GET /v1/deliveries/dead), pas un numéro global du hub : "
                         "aucune livraison n'a cette position.",
                         "'delivery_id' is a delivery's position in the member's line (the "
                         "'id' of GET /v1/deliveries/dead), not a hub-wide number: no delivery "
                         "has that position.")


def _known(uow: UnitOfWork, member_id: str | None) -> None:
    """UnknownMember unless `member_id` is None or a member of the network (its message
    never repeats the id: the caller knows what it sent, and names where)."""
    if member_id is not None and uow.members.get(member_id) is None:
        raise UnknownMember()


def dead_letter_page(hub: Hub, member_id: str | None = None, *, after: int = 0,
                     limit: int = 500, porteurs: bool = True) -> dict[str, Any]:
    """One page of dead-lettered deliveries after `after`, with the total count and the
    `suivant` cursor of the next page (None on the last one). A member's are numbered by
    their positions in its own line (`id`, as in its feed), never by the hub's delivery
    numbers, whose gaps would tell it how many deliveries the others got; everyone's
    (`member_id` None: the operator) by the hub's. `porteurs` False: no `porteur_id`
    (the coordination reading another member's)."""
    if not 1 <= limit <= 1000 or not 0 <= after <= MAX_INT64:
        raise BadRequest(f"limit doit être entre 1 et 1000 et after entre 0 et {MAX_INT64}.",
                         f"limit must be between 1 and 1000 and after between 0 and {MAX_INT64}.")
    with hub.uow() as uow:
        _known(uow, member_id)
        rows = uow.deliveries.dead(member_id, limit=limit + 1, after_id=after)
        total = uow.deliveries.dead_count(member_id)
    more = len(rows) > limit
    rows = rows[:limit]
    lines = [{"id": r.id if member_id is None else r.position, "delivery_id": r.idempotency_key,
              "destinataire": r.recipient_id, "evenement": r.event,
              "porteur_id": r.porteur_id if porteurs else None, "tentatives": r.attempts,
              "erreur": r.last_error, "cree_le": _aware(r.created_at).isoformat()} for r in rows]
    return {"total": total, "suivant": lines[-1]["id"] if more else None, "livraisons": lines}


def dead_by_member(hub: Hub) -> dict[str, int]:
    """How many dead letters each member has (what the coordination follows up)."""
    with hub.uow() as uow:
        return uow.deliveries.dead_by_recipient()


def dead_letters(hub: Hub, member_id: str | None = None) -> list[dict[str, Any]]:
    """The first page of dead-lettered deliveries (see `dead_letter_page`)."""
    return list(dead_letter_page(hub, member_id)["livraisons"])
