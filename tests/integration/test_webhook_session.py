"""The webhook session's POSTs are cut off by `PostCancel` in every way they can go out,
with real sockets: through an HTTP proxy taken from the environment, and when the cancel
comes while the connection is still being made."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from hub.webhook_session import PostCancel, cancelling, post_done, webhook_session

pytestmark = pytest.mark.integration


class Sending:
    """A POST from a thread of its own under `cancelling(self.cancel)`."""

    def __init__(self, url: str, timeout: tuple[float, float]) -> None:
        self.cancel = PostCancel()
        self.error: BaseException | None = None
        self.session = webhook_session()
        self.thread = threading.Thread(target=self._post, args=(url, timeout), daemon=True)
        self.thread.start()

    def _post(self, url: str, timeout: tuple[float, float]) -> None:
        with cancelling(self.cancel):
            try:
                self.session.post(url, data=b"{}", timeout=timeout).close()
            except requests.RequestException as exc:
                self.error = exc
            finally:
                post_done()

    def outcome(self) -> BaseException | None:
        self.thread.join(60)
        assert not self.thread.is_alive()
        self.session.close()
        return self.error


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0), backlog=0)
    yield server
    server.close()


def test_a_post_through_a_proxy_from_the_environment_is_cut_off(listener, monkeypatch):
    """Before, a proxy's connections were not the cancellable ones: the POST waited for
    its read timeout."""
    received = threading.Event()

    def proxy_that_never_answers() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            received.set()
            while connection.recv(65536):  # the rest of the request, then until the hub hangs up
                pass

    threading.Thread(target=proxy_that_never_answers, daemon=True).start()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{listener.getsockname()[1]}")
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    sending = Sending("http://recipient.invalid/hook", timeout=(5, 45))
    assert received.wait(20), "the POST never reached the proxy"
    sending.cancel.cancel()
    error = sending.outcome()
    assert isinstance(error, requests.ConnectionError)
    assert not isinstance(error, requests.Timeout), error


def test_a_post_cancelled_while_its_connection_is_being_made_is_never_sent(listener):
    """The recipient's accept queue is full: the connection hangs in its connect phase.
    Cancelled then, the POST used to go out once the connection was made."""
    port = listener.getsockname()[1]
    fillers = _fill_accept_queue(port)
    sending = Sending(f"http://127.0.0.1:{port}/hook", timeout=(10, 10))
    threading.Event().wait(0.5)  # the POST's connection is waiting in the connect phase
    sending.cancel.cancel()
    requests_seen: list[bytes] = []
    draining = threading.Thread(target=_drain, args=(listener, requests_seen), daemon=True)
    draining.start()  # the queue empties: the connection is made (SYN sent again)
    error = sending.outcome()
    for filler in fillers:
        filler.close()
    draining.join(30)
    assert isinstance(error, requests.ConnectionError), error
    assert not [data for data in requests_seen if data.startswith(b"POST")], requests_seen


def _fill_accept_queue(port: int) -> list[socket.socket]:
    """Connections nobody accepts, until the next one cannot complete."""
    fillers = []
    while len(fillers) < 64:
        filler = socket.socket()
        filler.settimeout(0.3)
        try:
            filler.connect(("127.0.0.1", port))
        except TimeoutError:
            filler.close()
            return fillers
        fillers.append(filler)
    raise AssertionError("the accept queue never filled")


def _drain(listener: socket.socket, seen: list[bytes]) -> None:
    """Accept every connection for a few seconds and keep what each one sent first."""
    listener.settimeout(3)
    while True:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            return
        with connection:
            connection.settimeout(3)
            try:
                seen.append(connection.recv(65536))
            except TimeoutError:
                seen.append(b"")
