"""An HTTP server for a port anyone may reach: each request has one deadline for all its
reads (request line, headers, body), however slowly its bytes come, and the connections
served at once are capped, those beyond answered 503 at once.

A read timeout alone would let a client sending a byte every few seconds hold a thread for
ever; unbounded threads would let many such clients exhaust the machine.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_BUSY = b'{"error": {"code": "busy"}}'


class _DeadlineReader(io.RawIOBase):
    """The socket read until `deadline` (time.monotonic()), then TimeoutError."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self.deadline = time.monotonic()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request deadline passed")
        self._connection.settimeout(remaining)
        return self._connection.recv_into(buffer)


class DeadlineHandler(BaseHTTPRequestHandler):
    """A handler whose every request must arrive whole within `request_timeout_s` of its
    start (for a kept-alive connection: of the end of the request before)."""

    request_timeout_s = 30.0

    def setup(self) -> None:
        super().setup()
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.request_timeout_s
        try:
            super().handle_one_request()
        except TimeoutError:  # headers cut by the deadline: closed without an answer
            self.close_connection = True


class BoundedServer(ThreadingHTTPServer):
    """A thread per connection, at most `max_connections` at once."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 max_connections: int) -> None:
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self.connections_open = 0
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            _answer_busy(request)
            self.shutdown_request(request)
            return
        self._count(1)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        self._count(-1)
        self._slots.release()

    def _count(self, change: int) -> None:
        with self._lock:
            self.connections_open += change


def _answer_busy(request: socket.socket) -> None:
    """503 with Retry-After, written without reading the request (no thread is spent)."""
    head = ("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(_BUSY)}\r\n"
            "Connection: close\r\n\r\n").encode()
    try:
        request.settimeout(1.0)
        request.sendall(head + _BUSY)
    except OSError:
        pass
