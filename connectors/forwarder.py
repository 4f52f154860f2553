"""Forward verified hub deliveries to the member's own HTTP endpoint.

The webhook receiver calls `Forwarder.forward` after checking the hub's signature and
answers the hub 2xx only when the member's endpoint answered 2xx: a delivery the
endpoint did not take stays with the hub, which retries it with backoff and finally
dead-letters it (replayable). Nothing is lost; a delivery may reach the endpoint more
than once (the hub's answer lost, a retry after a timeout), so the endpoint
deduplicates by the `X-Capactif-Delivery-Id` header.

Each delivery is POSTed as received (the exact body, `Content-Type: application/json`,
the delivery id, and the hub's signature headers so the endpoint may check them
itself), with an optional bearer token of the member's endpoint. Network errors, 408,
429 and 5xx are retried with exponential backoff and jitter, all within `deadline_s`:
the hub waits 10 s for the receiver's answer, so the receiver answers before that and
leaves longer outages to the hub's own retries. Other answers (3xx, 4xx) are not
retried: they need a fix of the endpoint or of its configuration.

    forwarder = Forwarder("http://127.0.0.1:9000/capactif", token="...")
    receiver = WebhookReceiver(None, hub_keys, forwarder=forwarder)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

import requests

from connectors import signing
from connectors.backoff import backoff_delay, retry_after_seconds
from connectors.errors import ForwardError

USER_AGENT = "capactif-receiver/1"
_PASSED_ON = (signing.KEY_ID_HEADER, signing.TIMESTAMP_HEADER, signing.SIGNATURE_HEADER,
              "webhook-id", "webhook-timestamp", "webhook-signature")
_RETRIED_STATUSES = {408, 429}
log = logging.getLogger(__name__)


class Forwarder:
    """POST deliveries to one endpoint of the member, retried within a deadline."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout_s: float = 5.0,
        retries: int = 3,
        backoff_s: float = 0.5,
        max_backoff_s: float = 4.0,
        deadline_s: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._token = token
        self.timeout_s = timeout_s
        self.retries = retries
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self.deadline_s = deadline_s
        self._sleep = sleep
        self._clock = clock
        self._local = threading.local()  # one session per receiver thread

    def __repr__(self) -> str:
        return f"Forwarder({self.url!r}, token={'********' if self._token else None})"

    def forward(self, delivery_id: str, body: bytes, hub_headers: Mapping[str, str]) -> None:
        """Hand one delivery to the endpoint; raises ForwardError when it did not take it."""
        headers = self._headers(delivery_id, hub_headers)
        started, attempt = self._clock(), 0
        while True:
            remaining = self.deadline_s - (self._clock() - started)
            status, retry_after = self._attempt(body, headers, min(self.timeout_s, remaining))
            if status is not None and 200 <= status < 300:
                return
            retryable = status is None or status >= 500 or status in _RETRIED_STATUSES
            delay = (retry_after if retry_after is not None
                     else backoff_delay(attempt, self._backoff_s, self._max_backoff_s))
            remaining = self.deadline_s - (self._clock() - started)
            if not retryable or attempt >= self.retries or delay + 0.1 >= remaining:
                log.warning("delivery %s not forwarded (endpoint answer: %s)",
                            delivery_id, status or "unreachable")
                raise _failure(status)
            self._sleep(delay)
            attempt += 1

    def _headers(self, delivery_id: str, hub_headers: Mapping[str, str]) -> dict[str, str]:
        lowered = {name.lower(): value for name, value in hub_headers.items()}
        headers = {name: lowered[name.lower()] for name in _PASSED_ON if name.lower() in lowered}
        headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT,
                        signing.DELIVERY_HEADER: delivery_id})
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _attempt(self, body: bytes, headers: dict[str, str],
                 timeout: float) -> tuple[int | None, float | None]:
        """(status, Retry-After seconds); status None when the endpoint was unreachable."""
        try:
            response = self._session().post(self.url, data=body, headers=headers,
                                             timeout=max(timeout, 0.1), allow_redirects=False)
            response.close()
        except requests.RequestException:
            return None, None
        return response.status_code, retry_after_seconds(response.headers.get("Retry-After"))

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session


def _failure(status: int | None) -> ForwardError:
    if status is None:
        return ForwardError(
            "Point de réception du membre injoignable : la livraison reste au hub, qui la "
            "renverra.",
            "Member endpoint unreachable: the delivery stays with the hub, which will send it "
            "again.",
            status=None,
        )
    return ForwardError(
        f"Le point de réception du membre a répondu {status} : la livraison reste au hub, qui "
        "la renverra ; vérifiez l'adresse et le jeton du point de réception.",
        f"The member endpoint answered {status}: the delivery stays with the hub, which will "
        "send it again; check the endpoint's address and token.",
        status=status,
    )
