"""The HTTP/1.1 connection below the app: uvicorn's h11 protocol, with the refusals it
makes itself given in the hub's error envelope, and deadlines on a request that stops
coming.

uvicorn answers a request h11 cannot read (a Content-Length that is not one number,
a Transfer-Encoding other than chunked, both of them, bytes outside ASCII in the target, a header
block over its bound) with a plain-text 400 before any route runs, and waits for ever
for headers or a body that never end. Here the same refusals are 400
`malformed_request` or 431 `headers_too_large` in the envelope, and a request whose
headers are not complete `header_timeout_s` after its first byte (or after the
connection opened), whose body is silent `body_idle_timeout_s`, or whose body is not whole
`body_timeout_s` after its headers (a body trickled a byte at a time is never silent: it
would hold the connection, and a signed request would be told its clock was wrong when its
signature aged while its body came) is answered 408 `request_timeout`; a connection that
sent nothing is closed without an answer.

h11 bounds only a header block still incomplete when it looks (one read whole, up to
the 64 KiB of a socket read, passed): here a whole one is measured too. A chunked body
is refused as soon as its framing shows it cannot be read: 413 `payload_too_large` for
chunk sizes adding up past `max_body_bytes` (no route reads more), 400 for a size line no
further byte can make valid; h11 alone would wait for the bytes, then the 408. One empty
line before a request line is skipped (RFC 9112 2.2); h11 refuses it.

h11 also reads what the hub refuses, each with a 400 `malformed_request` saying what to fix:
an HTTP version other than 1.x (`HTTP/9.9`, the HTTP/2 preface `PRI * HTTP/2.0`, which h11
reads as a request for `*`); a header folded over two lines (RFC 9112 5.2: h11 joins
them); a control character in a header value (RFC 9110 5.5: h11 refuses only NUL and
line breaks); a `Content-Type` or `Content-Encoding` given on two lines (RFC 9110 5.3:
neither is a list, and a proxy may keep either line, or join them, where the hub read the
first)."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from typing import Any

import h11
from h11._readers import ChunkedReader
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, H11Protocol

from hub.api.auth import body_too_large
from hub.errors import HeadersTooLarge, HubError, MalformedRequest, RequestTimeout

_LINGER_S = 2.0
_REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large",
            431: "Request Header Fields Too Large"}
# Headers no line may give twice (a list would be one value): whose line holds is not said.
_SINGLE = {b"content-type": "Content-Type", b"content-encoding": "Content-Encoding"}
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # in a header value (HTAB is allowed)
_FOLDED = re.compile(rb"\n[ \t]")  # a line of the header block starting with white space
# What may begin a chunk's size line (h11's: 1 to 20 hex digits, then an extension or
# spaces, then CRLF); a line still coming that is not one of these can never become one.
_SIZE_LINE_START = re.compile(rb"[0-9A-Fa-f]{0,20}|[0-9A-Fa-f]{1,20}(;[^\n]*|[ \t]*\r?)")


def envelope_protocol(header_timeout_s: float, body_idle_timeout_s: float,
                      max_body_bytes: int | None = None,
                      body_timeout_s: float = 120.0) -> type[H11Protocol]:
    """The protocol class to give uvicorn (`http=`), with these deadlines and, when given,
    the bound past which a chunked body is refused before it comes."""
    return type("HubH11Protocol", (_EnvelopeProtocol,),
                {"header_timeout_s": header_timeout_s, "body_idle_timeout_s": body_idle_timeout_s,
                 "max_body_bytes": max_body_bytes, "body_timeout_s": body_timeout_s})


def _header_limit(config: Any) -> int:
    return int(config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE)


class _Refusal(h11.RemoteProtocolError):
    """A request h11 read and the hub refuses, with the error to answer."""

    def __init__(self, error: HubError) -> None:
        super().__init__(error.message_en, error.status)
        self.error = error


class _Reader(h11.Connection):
    """h11's connection, keeping the last refusal so that its status hint (431, 413) is
    known. A request framed both by Content-Length and by Transfer-Encoding is refused (h11
    reads it by the second and keeps the connection): a proxy reading it by the first would
    pass a second request inside its body (RFC 9112, 6.1). A header block is bounded
    whole, and a chunked body by its framing (the module's docstring)."""

    refusal: h11.RemoteProtocolError | None = None
    _blank_skipped = False

    def __init__(self, header_limit: int, body_limit: int | None) -> None:
        super().__init__(h11.SERVER, header_limit)
        self._header_limit = header_limit
        self._body_limit = body_limit
        self._body_read = 0

    def receive_data(self, data: bytes) -> None:
        """One empty line before a request line skipped (RFC 9112 2.2: a client may send
        one after a body; h11 refuses it); a second is refused, so that blank lines do not
        hold a connection."""
        if data and self.their_state is h11.IDLE and not self.trailing_data[0] \
                and not self._blank_skipped:
            blank = 2 if data.startswith(b"\r\n") else 1 if data.startswith(b"\n") else 0
            self._blank_skipped = blank > 0
            data = data[blank:]
            if not data:
                return  # b"" would tell h11 that the connection closed
        super().receive_data(data)

    def next_event(self) -> Any:
        try:
            unread = len(self._receive_buffer)
            # the head as it came, before h11 joins folded lines (a request's first read)
            sent = bytes(self._receive_buffer) if self.their_state is h11.IDLE else b""
            event = super().next_event()
            if isinstance(event, h11.Request):
                self._blank_skipped = False  # the next request may follow one too
                size = unread - len(self._receive_buffer)
                self._check_head(event, size)
                _check_fields(event, sent[:size])
            elif isinstance(event, h11.Data):
                self._body_read += len(event.data)
            if isinstance(self._reader, ChunkedReader):
                self._check_chunks(self._reader, waiting=event is h11.NEED_DATA)
            return event
        except h11.RemoteProtocolError as exc:
            self.refusal = exc
            raise

    def _check_head(self, request: h11.Request, size: int) -> None:
        if size > self._header_limit:
            raise h11.RemoteProtocolError("request line and headers too long", 431)
        if _framed_twice(request.headers):
            raise h11.RemoteProtocolError("Content-Length with Transfer-Encoding", 400)
        self._body_read = 0

    def _check_chunks(self, reader: ChunkedReader, waiting: bool) -> None:
        """The chunk sizes read so far, the body's bytes and the rest of the current chunk,
        within the bound; and, while waiting for a size line, the beginning of one."""
        if self._body_limit is not None and \
                self._body_read + reader._bytes_in_chunk > self._body_limit:
            raise h11.RemoteProtocolError("chunk sizes past the body bound", 413)
        awaiting_size = not (reader._bytes_in_chunk or reader._bytes_to_discard
                             or reader._reading_trailer)
        if waiting and awaiting_size and not _SIZE_LINE_START.fullmatch(self.trailing_data[0]):
            raise h11.RemoteProtocolError("illegal chunk size line", 400)


def _check_fields(request: h11.Request, head: bytes) -> None:
    """What h11 reads and the hub refuses (the module's docstring)."""
    if not request.http_version.startswith(b"1."):
        raise _Refusal(_malformed(
            "Version HTTP non prise en charge : le hub parle HTTP/1.1 (RFC 9112), pas HTTP/2 "
            "ni une autre version. Envoyez la requête en HTTP/1.1.",
            "HTTP version not supported: the hub speaks HTTP/1.1 (RFC 9112), not HTTP/2 nor "
            "another version. Send the request as HTTP/1.1."))
    if _FOLDED.search(head):
        raise _Refusal(_malformed(
            "En-tête replié sur plusieurs lignes (obs-fold, RFC 9112 5.2) : donnez chaque "
            "en-tête sur une seule ligne.",
            "Header folded over several lines (obs-fold, RFC 9112 5.2): give each header on "
            "one line."))
    if any(_CONTROL.search(value) for _, value in request.headers):
        raise _Refusal(_malformed(
            "Caractère de contrôle dans la valeur d'un en-tête (RFC 9110 5.5) : retirez-le.",
            "A control character in a header value (RFC 9110 5.5): remove it."))
    names = [name for name, _ in request.headers]
    twice = [shown for name, shown in _SINGLE.items() if names.count(name) > 1]
    if twice:
        raise _Refusal(_malformed(
            f"En-tête {' et '.join(twice)} donné sur plusieurs lignes : donnez-le une seule "
            "fois (un relais peut garder l'une ou l'autre, ou les joindre).",
            f"Header {' and '.join(twice)} given on several lines: give it once (a proxy may "
            "keep either line, or join them)."))


def _malformed(fr: str, en: str) -> MalformedRequest:
    return MalformedRequest(f"Requête HTTP refusée : {fr}", f"HTTP request refused: {en}")


def _framed_twice(headers: Any) -> bool:
    names = {name for name, _ in headers}
    return b"content-length" in names and b"transfer-encoding" in names


class _WatchedFlow(FlowControl):
    """uvicorn's read pause and resume, told to the protocol so that its body deadline
    does not run while the server itself holds the body back."""

    def __init__(self, transport: asyncio.Transport, protocol: _EnvelopeProtocol) -> None:
        super().__init__(transport)
        self._protocol = protocol

    def pause_reading(self) -> None:
        super().pause_reading()
        self._protocol._watch()

    def resume_reading(self) -> None:
        was_paused = self.read_paused
        super().resume_reading()
        self._protocol._reading_resumed(was_paused)


class _EnvelopeProtocol(H11Protocol):
    header_timeout_s = 10.0
    body_idle_timeout_s = 30.0
    max_body_bytes: int | None = None
    body_timeout_s = 120.0

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.conn = _Reader(_header_limit(config), self.max_body_bytes)
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False
        # The body's time while the hub reads it: spent before, and since when (None: not
        # reading it now, the app holding it back or no body under way).
        self._body_spent = 0.0
        self._body_since: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.flow = _WatchedFlow(transport, self)
        self._arm(self.header_timeout_s)

    def data_received(self, data: bytes) -> None:
        if self._refused:  # the rest of a refused request, read so that the answer arrives
            return
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        refusal = getattr(self.conn, "refusal", None)
        if isinstance(refusal, _Refusal):
            self._refuse(refusal.error)
            return
        if refusal is not None and refusal.error_status_hint == 413 and self.max_body_bytes:
            self._refuse(body_too_large(self.max_body_bytes))
            return
        if refusal is not None and refusal.error_status_hint == 431:
            limit = _header_limit(self.config)
            self._refuse(HeadersTooLarge(
                f"Ligne de requête et en-têtes trop longs (plus de {limit} octets) : raccourcissez-les.",
                f"Request line and headers too long (over {limit} bytes): shorten them."))
            return
        self._refuse(MalformedRequest(
            "Requête HTTP illisible : ligne de requête, en-tête ou longueur du corps non conformes "
            "à HTTP/1.1 (RFC 9112). Envoyez-la avec une bibliothèque HTTP.",
            "Unreadable HTTP request: request line, header or body length not as HTTP/1.1 "
            "(RFC 9112) writes them. Send it with an HTTP library."))

    def _watch(self) -> None:
        """The deadline the connection's state calls for: the headers' (not moved by more
        bytes of them), the body's (moved by each piece), or none while the app works, a
        kept-alive connection waits (uvicorn's keep-alive timeout then closes it) or the
        body waits on the server: reading paused while the app has not taken what came,
        or a `100 Continue` the app has not yet asked for by reading. A connection idle
        with no keep-alive timer (its body came after an early answer) gets the header
        deadline, which closes it."""
        state = self.conn.their_state
        body = state is h11.SEND_BODY and not self.transport.is_closing()
        held = body and (self.flow.read_paused or (
            self.cycle is not None and self.cycle.waiting_for_100_continue))
        self._body_clock(running=body and not held, under_way=body)
        if self.transport.is_closing():
            self._disarm()
        elif state is h11.SEND_BODY:
            if held:
                self._disarm()
            else:
                self._arm(min(self.body_idle_timeout_s, self._body_left()))
        elif state is not h11.IDLE:
            self._disarm()
        elif self.conn.trailing_data[0]:
            if self._deadline is None:
                self._arm(self.header_timeout_s)
        elif self.timeout_keep_alive_task is None:
            self._arm(self.header_timeout_s)
        else:
            self._disarm()

    def _body_clock(self, running: bool, under_way: bool) -> None:
        """The body's time, counted while the hub reads it (`running`: not while the app
        holds it back), reset once no body is `under_way`."""
        now = self.loop.time()
        if self._body_since is not None:
            self._body_spent += now - self._body_since
        self._body_since = now if running else None
        if not under_way:
            self._body_spent = 0.0

    def _body_left(self) -> float:
        return max(0.0, self.body_timeout_s - self._body_spent)

    def _reading_resumed(self, was_paused: bool) -> None:
        """The app reads again: a body the server held back may come, on a fresh deadline
        (also the first one, after a `100 Continue`)."""
        if was_paused or (self.conn.their_state is h11.SEND_BODY and self._deadline is None):
            self._watch()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        state = self.conn.their_state
        idle = state is h11.IDLE and not self.conn.trailing_data[0]
        answered = state is h11.SEND_BODY and self.cycle is not None and self.cycle.response_started
        if idle or answered or state not in (h11.IDLE, h11.SEND_BODY):
            self.transport.close()
            return
        if state is h11.SEND_BODY:
            self._body_clock(running=False, under_way=True)
        if state is h11.SEND_BODY and self._body_left() <= 0:
            limit = f"{self.body_timeout_s:g}"
            self._refuse(RequestTimeout(
                f"Corps de requête trop lent : il n'est pas arrivé entier {limit} s après les "
                "en-têtes. Envoyez-le d'un trait (la signature n'est pas en cause).",
                f"Request body too slow: not whole {limit} s after the headers. Send it in "
                "one go (the signature is not at fault)."))
            return
        self._refuse(RequestTimeout(
            "Requête incomplète : ses en-têtes ou son corps ont cessé d'arriver. Renvoyez-la entière.",
            "Incomplete request: its headers or its body stopped coming. Send it again, whole."))

    def _refuse(self, error: HubError) -> None:
        """`error` in the envelope, written as it is (h11 may be in its error state), and
        the connection closed; a request under way is told its client is gone. The close
        lingers: closing with bytes of the request still unread would reset the connection,
        and the client would lose the answer before reading it. A request the app has begun
        to answer gets no second answer: its connection is only closed."""
        answered = self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE)  # its head is out
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if not answered:
            self.transport.write(_envelope(error))
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(_LINGER_S, self.transport.close)
        else:
            self.transport.close()


def _envelope(error: HubError) -> bytes:
    """`error` as a whole HTTP/1.1 response that closes its connection."""
    body = json.dumps({"error": error.to_dict()}, ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {error.status} {_REASONS[error.status]}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            "cache-control: no-store\r\n"
            f"x-request-id: req_{secrets.token_hex(12)}\r\n"
            "connection: close\r\n\r\n")
    return head.encode("ascii") + body
