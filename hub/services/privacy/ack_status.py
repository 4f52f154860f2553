"""An acknowledgement's status as every answer shows it (the API's acks and erasure
status, the DPO console's tracker): pending, acknowledged, overdue past
`HUB_NOTICE_ACK_DELAY_DAYS`, or `left`: the recipient left the network before
acknowledging. It holds no credential any more and cannot acknowledge; what it received
is followed up outside the hub, so it is never counted late nor waited for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from consent.api import NoticeAck
from hub.bootstrap import Hub

LEFT = "left"


def members_left(hub: Hub) -> set[str]:
    with hub.uow() as uow:
        return {m.id for m in uow.members.all() if not m.active}


def status_of(ack: NoticeAck, now: dt.datetime, delay: dt.timedelta, left: set[str]) -> str:
    if ack.acknowledged_at is None and ack.recipient_id in left:
        return LEFT
    return str(ack.status(now, delay).value)


def statuses(hub: Hub, acks: Iterable[NoticeAck]) -> list[tuple[NoticeAck, str]]:
    """Each ack with its status now."""
    now, delay, left = hub.clock(), hub.settings.notice_ack_delay, members_left(hub)
    return [(ack, status_of(ack, now, delay, left)) for ack in acks]
