"""The HTTP session webhooks are posted with: pooled connections, no retry of its own
(a failed delivery is retried by the dispatcher, with backoff). One per `Hub`.

A POST under way can be cut off from another thread (`PostCancel`): a sender that can no
longer prove it holds its recipient's lease hangs up before the lease could pass to
another sender, so two senders never have a POST open to one recipient at once."""

from __future__ import annotations

import contextlib
import email.utils
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from hub.domain.ids import whole_number

_current = threading.local()


class PostCancel:
    """Cuts off the POSTs of the thread that runs under `cancelling(self)`: the one under
    way (its socket is shut down) and any later one (refused before it is sent).
    `limit_s`: how long one POST may last, from its sending to the end of its answer
    (`overdue` tells when the one under way has lasted longer)."""

    def __init__(self, limit_s: float | None = None) -> None:
        self._lock = threading.Lock()
        self._connection: HTTPConnection | None = None
        self._started: float | None = None
        self._limit_s = limit_s
        self.cancelled = False

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            sock = self._connection.sock if self._connection is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def overdue(self) -> bool:
        """The POST under way has lasted longer than `limit_s`: an answer trickled a byte
        at a time, each within the read timeout, would otherwise hold the sender for good."""
        started = self._started
        return (self._limit_s is not None and started is not None
                and time.monotonic() - started > self._limit_s)

    def _enter(self, connection: HTTPConnection) -> None:
        with self._lock:
            if self.cancelled:
                raise ConnectionAbortedError("webhook POST cancelled: the lease may end")
            self._connection = connection
            self._started = time.monotonic()

    def _leave(self) -> None:
        with self._lock:
            self._connection = None
            self._started = None


@contextlib.contextmanager
def cancelling(cancel: PostCancel) -> Iterator[None]:
    """The POSTs this thread makes meanwhile are cut off by `cancel.cancel()`."""
    _current.cancel = cancel
    try:
        yield
    finally:
        _current.cancel = None


def cut_off() -> bool:
    """The thread's POST was cut off (`PostCancel.cancel`): whatever part of an answer
    came (a status line, its headers cut short, which `http.client` takes as complete),
    it is no answer."""
    cancel: PostCancel | None = getattr(_current, "cancel", None)
    return cancel is not None and cancel.cancelled


def post_done() -> None:
    """The thread's POST is over: a later cancel no longer touches its connection."""
    cancel: PostCancel | None = getattr(_current, "cancel", None)
    if cancel is not None:
        cancel._leave()


class _Cancellable:
    def request(self, *args: Any, **kwargs: Any) -> None:
        cancel: PostCancel | None = getattr(_current, "cancel", None)
        if cancel is not None:
            cancel._enter(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]

    def connect(self) -> None:
        # A connect under way has no socket to shut down yet: once it is made, a POST
        # cancelled meanwhile is not sent (before, it went out after the cancel).
        super().connect()  # type: ignore[misc]
        cancel: PostCancel | None = getattr(_current, "cancel", None)
        if cancel is not None and cancel.cancelled:
            self.close()  # type: ignore[attr-defined]
            raise ConnectionAbortedError("webhook POST cancelled while connecting: the lease may end")


class _HttpConnection(_Cancellable, HTTPConnection):
    pass


class _HttpsConnection(_Cancellable, HTTPSConnection):
    pass


class _HttpPool(HTTPConnectionPool):
    ConnectionCls = _HttpConnection


class _HttpsPool(HTTPSConnectionPool):
    ConnectionCls = _HttpsConnection


_POOLS = {"http": _HttpPool, "https": _HttpsPool}


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        """Through an HTTP(S) proxy of the environment (HTTPS_PROXY, HTTP_PROXY) too,
        POSTs go through cancellable connections: before, they bypassed them, and a
        sender that could no longer renew its lease could not hang up."""
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS proxies keep their own pools
            manager.pool_classes_by_scheme = _POOLS
        return manager


def webhook_session() -> requests.Session:
    session = requests.Session()
    adapter = _Adapter(pool_connections=16, pool_maxsize=16, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "capactif-hub-webhooks/1"
    return session


ANSWER_READ_BYTES = 65536


def skim(response: requests.Response) -> None:
    """Read a recipient's answer (posted with `stream=True`) up to `ANSWER_READ_BYTES`,
    then close it. Only its status and headers count: an answer read whole leaves its
    connection to the pool; a longer one is cut off, its connection closed, so an
    endpoint answering a huge or endless body fills no memory of the worker."""
    read = 0
    try:
        for chunk in response.iter_content(chunk_size=16384):
            read += len(chunk)
            if read > ANSWER_READ_BYTES:
                break
    finally:
        response.close()


def retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` header asks to wait (0-9 digits or an HTTP date), None when
    absent or unreadable: the recipient's header is never trusted to be well formed."""
    text = (value or "").strip()
    if (seconds := whole_number(text)) is not None:
        return float(seconds)
    try:
        when = email.utils.parsedate_to_datetime(text) if text.isascii() else None
    except (TypeError, ValueError, OverflowError):  # a year past any calendar: ignored
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
