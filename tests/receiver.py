"""A real HTTP webhook recipient on 127.0.0.1 that fails on demand (tests only)."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DRIP_BYTES = 600


def _document(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


class Recipient:
    """Records every POST; answers `self.status` (200 by default), after holding each
    request `self.delay_s` seconds (`self.arrived` is set as soon as one comes in, and
    `self.arrivals` keeps the monotonic time of each). With `self.hang_up` set, it
    closes the connection without answering. `self.headers` are sent with every answer
    (a `Location` with a 3xx, a `Retry-After` with a 429). `self.max_in_flight` is the largest number
    of requests it ever held at once (concurrent streams): a request counts from its
    arrival until its answer is about to be written, since a sender may start its next
    request as soon as it has read that answer, before this handler's thread runs again;
    a request whose sender hangs up while it is held stops counting then. With `self.gate`
    (an Event), each request is also held until the gate is set: a webhook kept in flight
    for as long as a test needs. With `self.redirect_to` set, it answers 307 to that URL
    (and records nothing). With `self.answer_bytes`, a 2xx answer carries a body of that
    many bytes, and `self.answer_sent` counts those written before the sender hung up.
    With `self.drip_s`, a 2xx answer's headers go out one byte every `drip_s` seconds
    (`DRIP_BYTES` of them), each well within a read timeout; `self.dripped` counts
    those written before the sender hung up. `self.on_arrival`, when set, is called with
    the number of POSTs arrived so far as each one arrives, before it is held.
    `self.choose`, when set, is called with each POST's document and answers its status
    instead of `self.status` (a recipient that fails on one fiche, or at random), and
    `self.tried` keeps the (fiche_id, version) of every POST's document in order of
    arrival, answered 2xx or not ((None, None): a notice about no fiche)."""

    def __init__(self, port: int = 0) -> None:
        self.status = 200
        self.delay_s = 0.0
        self.hang_up = False
        self.gate: threading.Event | None = None
        self.redirect_to: str | None = None
        self.headers: dict[str, str] = {}
        self.answer_bytes = 0
        self.answer_sent = 0
        self.drip_s = 0.0
        self.dripped = 0
        self.answered = threading.Event()
        self.arrived = threading.Event()
        self.arrivals: list[float] = []
        self.on_arrival: Callable[[int], None] | None = None
        self.choose: Callable[[dict[str, Any]], int] | None = None
        self.tried: list[tuple[str | None, int | None]] = []
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        recipient = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with recipient.lock:
                    recipient.in_flight += 1
                    recipient.max_in_flight = max(recipient.max_in_flight, recipient.in_flight)
                self._counted = True
                try:
                    self._answer()
                finally:
                    self._leave()

            def do_GET(self) -> None:
                """A sender following a redirect may come with a GET: counted, answered."""
                recipient.arrivals.append(time.monotonic())
                self.send_response(recipient.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _leave(self) -> None:
                """The request stops counting as in flight (once)."""
                if self._counted:
                    self._counted = False
                    with recipient.lock:
                        recipient.in_flight -= 1

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                document = _document(body)
                source = document.get("source") or {}
                recipient.tried.append((source.get("fiche_id"), source.get("version")))
                recipient.arrivals.append(time.monotonic())
                recipient.arrived.set()
                if recipient.on_arrival is not None:
                    recipient.on_arrival(len(recipient.arrivals))
                if recipient.hang_up:
                    self.close_connection = True
                    return
                if not self._hold(recipient.delay_s):
                    return  # the sender hung up meanwhile: its stream has ended
                if recipient.redirect_to:
                    self._leave()
                    self.send_response(307)
                    self.send_header("Location", recipient.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with recipient.lock:
                    status = recipient.status if recipient.choose is None \
                        else recipient.choose(document)
                    if 200 <= status < 300:
                        recipient.received.append({
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body, "document": json.loads(body)})
                self._leave()  # before the answer leaves: the sender may then go on at once
                if recipient.drip_s and 200 <= status < 300:
                    self._drip(status)
                    return
                self.send_response(status)
                for name, value in recipient.headers.items():
                    self.send_header(name, value)
                long = recipient.answer_bytes if 200 <= status < 300 else 0
                self.send_header("Content-Length", str(long))
                self.end_headers()
                if long:
                    self._write_long_answer(long)

            def _drip(self, status: int) -> None:
                head = f"HTTP/1.1 {status} OK\r\nX-Slow: {'x' * DRIP_BYTES}\r\n".encode()
                self.close_connection = True
                try:
                    for index in range(len(head)):
                        self.wfile.write(head[index:index + 1])
                        self.wfile.flush()
                        recipient.dripped += 1
                        if not self._hold(recipient.drip_s):
                            break  # the sender hung up
                except OSError:
                    pass
                finally:
                    recipient.answered.set()

            def _write_long_answer(self, size: int) -> None:
                chunk = b"x" * 65536
                try:
                    while recipient.answer_sent < size:
                        self.wfile.write(chunk[:size - recipient.answer_sent])
                        recipient.answer_sent += min(len(chunk), size - recipient.answer_sent)
                except OSError:  # the sender hung up without reading it all
                    self.close_connection = True
                finally:
                    recipient.answered.set()

            def _hold(self, seconds: float) -> bool:
                """Wait `seconds`; False as soon as the sender closes its side."""
                ends = time.monotonic() + seconds
                while (left := ends - time.monotonic()) > 0 or (
                        recipient.gate is not None and not recipient.gate.is_set()):
                    readable, _, _ = select.select([self.connection], [], [],
                                                   min(max(left, 0.0), 0.05) or 0.05)
                    if readable and not self.connection.recv(1, socket.MSG_PEEK):
                        self.close_connection = True
                        return False
                return True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Recipient:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def documents(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r["document"] for r in self.received]
