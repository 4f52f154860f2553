"""The lease on one recipient's webhooks: at most one sender per recipient at any time.

The lease lives in the database (`feed_positions`), carries its holder's token and lasts
`HUB_WEBHOOK_LEASE_S` (a few seconds); a heartbeat thread renews it every fifth of that
while the holder sends, so a slow but healthy recipient never loses its sender, and a
crashed sender's lease expires within seconds. A POST may last longer than the lease:
a guard thread cuts off the POST under way (`PostCancel`) once the last confirmed
renewal is about to run out, so even a sender cut off from the database (renewals
failing) has hung up before another may take over.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid

from hub.bootstrap import Hub
from hub.errors import StoreUnavailable
from hub.webhook_session import PostCancel

log = logging.getLogger(__name__)

_RETRY_RELEASE_S = 1.0
_MARGIN_S = 1.0  # the POST under way is cut off this long before the lease could end
_GUARD_EVERY_S = 0.1


class RecipientLease:
    def __init__(self, hub: Hub, member_id: str) -> None:
        self._hub = hub
        self.member_id = member_id
        self.owner = uuid.uuid4().hex
        self._length = dt.timedelta(seconds=hub.settings.webhook_lease_s)
        self._confirmed_at = 0.0  # monotonic time the lease was last taken or renewed
        self._lost = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._guard: threading.Thread | None = None
        # the holder posts under `cancelling(lease.posts)`; a POST's answer must be whole
        # within twice the read timeout (and the connection's own timeout)
        settings = hub.settings
        self.posts = PostCancel(settings.webhook_connect_timeout_s + 2 * settings.webhook_timeout_s)

    def acquire(self) -> bool:
        """Take the lease and start renewing it; False when another sender holds it."""
        started = time.monotonic()
        with self._hub.uow() as uow:
            if not uow.deliveries.claim_recipient(self.member_id, self.owner, self._hub.clock(),
                                                  self._length):
                return False
            uow.commit()
        self._confirmed_at = started
        self._heartbeat = threading.Thread(target=self._beat, daemon=True,
                                           name=f"lease-{self.member_id}")
        self._heartbeat.start()
        self._guard = threading.Thread(target=self._watch, daemon=True,
                                       name=f"lease-guard-{self.member_id}")
        self._guard.start()
        return True

    def may_send(self) -> bool:
        """True while the lease is surely held: a POST started now is cut off before the
        lease could pass to another sender if renewals stop succeeding."""
        return not self._lost and not self.posts.cancelled and time.monotonic() < self._ends()

    def _ends(self) -> float:
        """The monotonic time the POST under way must be cut off by."""
        return self._confirmed_at + self._hub.settings.webhook_lease_s - _MARGIN_S

    def release(self) -> None:
        """Stop renewing and give the lease back. While the database is unreachable this
        keeps trying (every `_RETRY_RELEASE_S`) until it succeeds or the lease has surely
        ended, so another sender may take over as soon as the database is back."""
        self._stop.set()
        for thread in (self._heartbeat, self._guard):
            if thread is not None:
                thread.join()
        if self._heartbeat is None or self._lost:
            return
        ends_at = self._confirmed_at + self._hub.settings.webhook_lease_s
        warned = False
        while True:
            try:
                with self._hub.uow() as uow:
                    uow.deliveries.release_recipient(self.member_id, self.owner)
                    uow.commit()
                return
            except StoreUnavailable:
                if not warned:
                    log.warning("webhook lease of %s not released (database unavailable): "
                                "retrying until it ends", self.member_id)
                    warned = True
            if time.monotonic() + _RETRY_RELEASE_S >= ends_at:
                return  # it ends by itself before the next try
            time.sleep(_RETRY_RELEASE_S)

    def _watch(self) -> None:
        """Cut off the POST under way before the lease could end unrenewed, or once it
        has lasted longer than its limit (the recipient is tried again later)."""
        while not self._stop.wait(_GUARD_EVERY_S):
            if self.posts.overdue():
                self.posts.cancel()
                log.warning("webhook POST to %s cut off: its answer did not come whole in "
                            "time; tried again later", self.member_id)
                return
            if self._lost or time.monotonic() >= self._ends():
                self.posts.cancel()
                log.warning("webhook lease of %s could not be renewed: sending stops",
                            self.member_id)
                return

    def _beat(self) -> None:
        interval = self._hub.settings.webhook_lease_s / 5
        while not self._stop.wait(interval):
            started = time.monotonic()
            try:
                with self._hub.uow() as uow:
                    renewed = uow.deliveries.renew_recipient(
                        self.member_id, self.owner, self._hub.clock(), self._length)
                    uow.commit()
            except Exception as exc:  # the database may be down: the next beat retries
                log.warning("webhook lease of %s not renewed (%s)", self.member_id,
                            type(exc).__name__)
                continue  # may_send() turns false if this lasts
            if not renewed:
                self._lost = True
                return
            self._confirmed_at = started
