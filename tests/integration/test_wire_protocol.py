"""A real `capactif serve` sent bytes no HTTP library would send: a request the HTTP/1.1
reader refuses (its framing, its request line, its header block) is answered in the
hub's error envelope, like every other refusal; a request that stops half-way gets a
408 instead of holding its connection for ever (docs/protocol.md, "The wire")."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from capactif_demo.processes import free_port, running, start_api
from hub.api.wire import envelope_protocol

pytestmark = pytest.mark.integration

HOST = b"Host: hub\r\n"
LOOKUP = b"POST /v1/consents/lookup HTTP/1.1\r\n" + HOST
LOOKUP_BODY = b'Content-Length: 27\r\n\r\n{"references":["CST-A-1"]}'
# Each is refused by the HTTP/1.1 reader before any route runs.
UNREADABLE = {
    "content-length not a number": b"POST /v1/fiches HTTP/1.1\r\n" + HOST + b"Content-Length: abc\r\n\r\n",
    "two content-lengths": b"POST /v1/fiches HTTP/1.1\r\n" + HOST
    + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    "negative content-length": b"POST /v1/fiches HTTP/1.1\r\n" + HOST + b"Content-Length: -1\r\n\r\n",
    "transfer-encoding gzip": b"POST /v1/fiches HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip\r\n\r\n",
    "chunk size not hex": b"POST /v1/fiches HTTP/1.1\r\n" + HOST
    + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
    "bytes not ascii in the path": b"GET /v1/fiches/a/\xff\xfe HTTP/1.1\r\n" + HOST + b"\r\n",
    "bytes not ascii in the query": b"GET /v1/feed?after=\xff HTTP/1.1\r\n" + HOST + b"\r\n",
    "nul in the target": b"GET /v1/feed\x00 HTTP/1.1\r\n" + HOST + b"\r\n",
    "control in the method": b"G\x01T /v1/feed HTTP/1.1\r\n" + HOST + b"\r\n",
    "space in a header name": b"GET /v1/feed HTTP/1.1\r\n" + HOST + b"X A: b\r\n\r\n",
    "no host": b"GET /v1/feed HTTP/1.1\r\n\r\n",
    # RFC 9112 6.1: both framings in one request is how requests are smuggled past a proxy
    # that reads the other one
    "content-length and chunked": b"POST /v1/fiches HTTP/1.1\r\n" + HOST
    + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "chunked and content-length": b"POST /v1/fiches HTTP/1.1\r\n" + HOST
    + b"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n",
    # a proxy may join two lines of one header into one value, or keep either line
    "two content-types": LOOKUP + b"Content-Type: application/json\r\n"
    + b"Content-Type: text/plain\r\n" + LOOKUP_BODY,
    "two content-types, json last": LOOKUP + b"Content-Type: text/plain\r\n"
    + b"Content-Type: application/json\r\n" + LOOKUP_BODY,
    "two content-encodings": LOOKUP + b"Content-Encoding: identity\r\n"
    + b"content-encoding: gzip\r\n" + LOOKUP_BODY,
    "http version 9.9": b"GET /livez HTTP/9.9\r\n" + HOST + b"\r\n",
    "http/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "del in a header value": b"GET /livez HTTP/1.1\r\n" + HOST + b"X-A: a\x7fb\r\n\r\n",
    "control in a header value": b"GET /livez HTTP/1.1\r\n" + HOST + b"X-A: a\x01b\r\n\r\n",
    "obsolete line folding": b"GET /livez HTTP/1.1\r\n" + HOST + b"X-A: a\r\n b\r\n\r\n",
}
# What each refusal above that has a message of its own names (all others: "HTTP/1.1").
NAMED = {"two content-types": "Content-Type", "two content-types, json last": "Content-Type",
         "two content-encodings": "Content-Encoding", "http version 9.9": "HTTP/1.1",
         "http/2 preface": "HTTP/2", "del in a header value": "control character",
         "control in a header value": "control character",
         "obsolete line folding": "folded"}


@pytest.fixture(scope="module")
def hub_port(tmp_path_factory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("wire")
    port = free_port()
    env = {"HUB_DATA_DIR": str(folder / "data"), "HUB_REQUEST_HEADER_TIMEOUT_S": "1",
           "HUB_REQUEST_BODY_IDLE_TIMEOUT_S": "1", "HUB_REQUEST_BODY_TIMEOUT_S": "2"}
    with running([start_api(env, folder / "logs", port)]):
        yield port


def exchange(port: int, sent: bytes) -> bytes:
    """What the hub answers to `sent` until it closes the connection (a client that would
    wait for ever is stopped by the socket timeout, which fails the test)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(sent)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def envelope(answer: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    assert headers.get("content-type") == "application/json", answer[:300]
    assert int(headers["content-length"]) == len(body), answer[:300]
    return int(status_line.split()[1]), headers, json.loads(body)


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_a_request_the_http_reader_refuses_is_a_400_in_the_envelope(hub_port, name):
    status, headers, body = envelope(exchange(hub_port, UNREADABLE[name]))
    assert status == 400
    assert body["error"]["code"] == "malformed_request"
    assert {"message_fr", "message_en"} <= set(body["error"])
    assert headers["connection"] == "close" and headers["cache-control"] == "no-store"
    assert headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize("name", sorted(NAMED))
def test_a_refusal_of_the_http_reader_names_what_to_fix(hub_port, name):
    """A header given twice (RFC 9110 5.3: Content-Type and Content-Encoding are not
    lists; either line may be the one a proxy keeps), an HTTP version other than 1.x, a
    control character in a header value (RFC 9110 5.5), a header folded over two lines
    (RFC 9112 5.2): each is said, not only that the request was unreadable."""
    _, _, body = envelope(exchange(hub_port, UNREADABLE[name]))
    assert NAMED[name] in body["error"]["message_en"], body


def test_a_request_framed_both_ways_smuggles_no_second_request(hub_port):
    """A proxy honouring Content-Length forwards one request whose body holds a second
    one; the hub read the chunked framing, answered both and kept the connection."""
    smuggled = b"GET /livez HTTP/1.1\r\n" + HOST + b"\r\n"
    body = b"0\r\n\r\n" + smuggled
    answer = exchange(hub_port, b"POST /v1/fiches HTTP/1.1\r\n" + HOST
                      + b"Content-Length: " + str(len(body)).encode()
                      + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert b"vivant" not in answer, answer  # /livez's answer: the smuggled request was run
    status, headers, _ = envelope(answer)
    assert status == 400 and headers["connection"] == "close"

def test_a_header_block_too_large_is_a_431_in_the_envelope(hub_port):
    sent = b"GET /v1/feed HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    status, _, body = envelope(exchange(hub_port, sent))
    assert (status, body["error"]["code"]) == (431, "headers_too_large")


@pytest.mark.parametrize("kib", [17, 20, 40, 60])
def test_a_header_block_over_16_kib_arriving_whole_is_a_431(hub_port, kib):
    """The bound holds for a header block read in one piece too, not only for one still
    incomplete when the reader looks at it (the reader's own bound)."""
    sent = b"GET /livez HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * (kib * 1024) + b"\r\n\r\n"
    status, headers, body = envelope(exchange(hub_port, sent))
    assert (status, body["error"]["code"]) == (431, "headers_too_large")
    assert headers["connection"] == "close"


def test_a_header_block_just_under_16_kib_is_served(hub_port):
    sent = b"GET /livez HTTP/1.1\r\n" + HOST + b"Connection: close\r\n"
    sent += b"X-Big: " + b"a" * (16 * 1024 - len(sent) - 11) + b"\r\n\r\n"
    assert len(sent) == 16 * 1024
    assert exchange(hub_port, sent).startswith(b"HTTP/1.1 200"), sent[:100]


# A token of the expected form: a request without one is refused on its headers (401)
# before its body is read, and these tests are about reading the body.
TOKEN = b"Authorization: Bearer cci-puy-de-dome.s3cr3t\r\n"
CHUNKED = b"POST /v1/fiches HTTP/1.1\r\n" + HOST + TOKEN + b"Content-Type: application/json\r\n" \
    b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("size", [b"FFFFFFFFFF", b"800001", b"400001;x=1"])
def test_a_chunk_larger_than_the_body_bound_is_a_413_at_once(hub_port, size):
    """A chunk declared past HUB_MAX_BODY_BYTES (8 MiB) can never be read: 413 as soon as
    its size line comes, not a 408 once the client has sent what it had."""
    first = b"400000\r\n" + b"x" * 0x400000 + b"\r\n" if size.startswith(b"4") else b""
    status, headers, body = envelope(exchange(hub_port, CHUNKED + first + size + b"\r\n{}"))
    assert (status, body["error"]["code"]) == (413, "payload_too_large")
    assert headers["connection"] == "close"


@pytest.mark.parametrize("start", [b"{\"fiches\": []}", b"zz", b"12345678901234567890A", b"1 x"])
def test_a_chunk_size_line_that_cannot_become_one_is_a_400_at_once(hub_port, start):
    """A size line that no further byte can make valid (a body sent as chunked without
    its chunk sizes, more than 20 digits) is refused when it comes, not after a 408."""
    status, _, body = envelope(exchange(hub_port, CHUNKED + start))
    assert (status, body["error"]["code"]) == (400, "malformed_request")


def test_headers_left_unfinished_get_a_408_and_the_connection_closed(hub_port):
    status, _, body = envelope(exchange(hub_port, b"POST /v1/fiches HTTP/1.1\r\n" + HOST))
    assert (status, body["error"]["code"]) == (408, "request_timeout")


def test_a_body_left_unfinished_gets_a_408_and_the_connection_closed(hub_port):
    sent = b"POST /v1/fiches HTTP/1.1\r\n" + HOST + TOKEN + b"Content-Length: 100\r\n\r\n{\"fi"
    status, _, body = envelope(exchange(hub_port, sent))
    assert (status, body["error"]["code"]) == (408, "request_timeout")


def test_a_body_trickled_never_silent_gets_a_408_naming_the_slow_body(hub_port):
    """One byte of the body at a time, each before the body's silence deadline: the body's
    whole time is bounded too, and the answer blames the body, not the caller's clock (a
    signed request's signature aged while its body came was told 401 stale_request)."""
    declared = 100
    with socket.create_connection(("127.0.0.1", hub_port), timeout=20) as sock:
        sock.sendall(b"POST /v1/fiches HTTP/1.1\r\n" + HOST + TOKEN
                     + f"Content-Length: {declared}\r\n\r\n".encode())
        sock.settimeout(0.4)  # below the body's silence deadline (1 s)
        answer = b""
        for _ in range(declared - 1):  # never the whole body: only the hub ends the exchange
            sock.sendall(b" ")
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                continue
            break
        sock.settimeout(20)
        while chunk := sock.recv(65536):
            answer += chunk
    status, _, body = envelope(answer)
    assert (status, body["error"]["code"]) == (408, "request_timeout"), body
    assert "body too slow" in body["error"]["message_en"], body


@pytest.mark.parametrize("blank", [b"\r\n", b"\n"])
def test_one_blank_line_before_the_request_line_is_ignored(hub_port, blank):
    """RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request
    line (a client may send one after a previous request's body)."""
    answer = exchange(hub_port, blank + b"GET /livez HTTP/1.1\r\n" + HOST
                      + b"Connection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]


def test_two_blank_lines_before_the_request_line_are_refused(hub_port):
    status, _, body = envelope(exchange(hub_port, b"\r\n\r\nGET /livez HTTP/1.1\r\n" + HOST
                                        + b"Connection: close\r\n\r\n"))
    assert (status, body["error"]["code"]) == (400, "malformed_request")


@pytest.mark.parametrize(("sent", "location"), [
    (b"/v1/fiches/cci-puy-de-dome/F%2520/", b"/v1/fiches/cci-puy-de-dome/F%2520"),
    (b"/v1/fiches/cci-puy-de-dome/F%201/?a=%25", b"/v1/fiches/cci-puy-de-dome/F%201?a=%25"),
    (b"/v1/feed/", b"/v1/feed"),
    (b"/console", b"/console/"),
])
def test_the_trailing_slash_redirect_keeps_the_path_as_it_was_encoded(hub_port, sent, location):
    """`F%2520` names the fiche `F%20`: decoded once, the Location named `F%20`, another
    fiche (`F `)."""
    answer = exchange(hub_port, b"GET " + sent + b" HTTP/1.1\r\n" + HOST
                      + b"Connection: close\r\n\r\n")
    head = answer.partition(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[0].split()[1] == b"307", head
    assert [line.partition(b":")[2].strip() for line in head
            if line.lower().startswith(b"location:")] == [location]


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(hub_port):
    assert exchange(hub_port, b"") == b""


def test_a_keep_alive_connection_still_serves_its_next_request(hub_port):
    """Requests sent one behind the other on a kept-alive connection are all served."""
    one = b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\n"
    last = b"GET /healthz HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n"
    answer = exchange(hub_port, one + one + last)
    assert answer.count(b"HTTP/1.1 200 OK") == 3, answer[:600]


def test_the_next_request_left_unfinished_on_a_kept_alive_connection_gets_a_408(hub_port):
    """The header deadline applies to every request of a connection, not only its first."""
    answer = exchange(hub_port, b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\nGET /healthz HTTP/1.1\r\n")
    first, _, rest = answer.partition(b"HTTP/1.1 408")
    assert first.startswith(b"HTTP/1.1 200 OK") and rest, answer[:600]
    assert envelope(b"HTTP/1.1 408" + rest)[2]["error"]["code"] == "request_timeout"


def test_a_body_answered_before_it_came_does_not_hold_the_connection_open(hub_port):
    """A declared body over the bound is refused (413) before it comes; when it comes all
    the same, the hub reads it and then closes the connection instead of keeping it."""
    with socket.create_connection(("127.0.0.1", hub_port), timeout=20) as sock:
        sock.sendall(b"POST /v1/fiches HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
                     b"Content-Length: 9000000\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
        try:
            sock.sendall(b"x" * 9_000_000)
            while sock.recv(65536):
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass  # closed while the body was still coming: closed all the same


@pytest.mark.parametrize(("headers", "status", "code"), [
    (b"Content-Type: application/json\r\n", 401, "authentication_failed"),
    (b"Content-Type: application/json\r\nAuthorization: Basic dXNlcjpwdw==\r\n", 401,
     "authentication_failed"),
    (b"Content-Type: text/plain\r\n", 415, "unsupported_media_type"),
    (b"Content-Encoding: gzip\r\nAuthorization: Bearer m.s\r\n", 415, "unsupported_encoding"),
])
def test_a_request_its_headers_refuse_is_answered_before_any_100_continue(
        hub_port, headers, status, code):
    """RFC 9110 10.1.1: a request refused on its headers alone gets its final answer at
    once. It got `100 Continue` (the hub reading the body before checking them), and the
    client sent a body only to be refused, or waited for the body's deadline."""
    answer = exchange(hub_port, b"POST /v1/fiches HTTP/1.1\r\n" + HOST + headers
                      + b"Expect: 100-continue\r\nContent-Length: 100\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 %d" % status), answer[:300]
    assert b"HTTP/1.1 100" not in answer, answer[:300]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"] == code


@pytest.mark.parametrize("path", [b"/openapi.json", b"/docs", b"/livez", b"/v1/schemas/fiche"])
def test_head_is_answered_405_on_every_route_alike(hub_port, path):
    """`HEAD /openapi.json` was served (200, `Allow: GET, HEAD`) while every other route
    answered 405 to HEAD."""
    answer = exchange(hub_port, b"HEAD " + path + b" HTTP/1.1\r\n" + HOST
                      + b"Connection: close\r\n\r\n")
    head = answer.partition(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[0].split()[1] == b"405", head
    assert [line.partition(b":")[2].strip() for line in head
            if line.lower().startswith(b"allow:")] == [b"GET"]


@pytest.mark.parametrize("relayed", [b"X-ProxyUser-Ip", b"X-Originating-IP", b"X-Remote-Addr",
                                     b"X-Client-Address", b"X_Real_Ip", b"X-Forwarded-For"])
def test_metrics_are_refused_to_a_loopback_request_carrying_an_address_header(hub_port, relayed):
    """A proxy on the hub's machine makes every client arrive from the loopback address;
    a header carrying a client's address, whatever a proxy names it, says the request
    was relayed."""
    def metrics(extra: bytes) -> bytes:
        return exchange(hub_port, b"GET /metrics HTTP/1.1\r\n" + HOST + extra
                        + b"Connection: close\r\n\r\n")
    scraper = (b"User-Agent: Prometheus/2.53.0\r\nAccept: text/plain;version=0.0.4\r\n"
               b"Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n")
    assert metrics(scraper).startswith(b"HTTP/1.1 200")  # Prometheus on the hub's machine
    assert metrics(scraper + relayed + b": 203.0.113.9\r\n").startswith(b"HTTP/1.1 403")


LATE_READ_S = 6.0


@pytest.fixture(scope="module")
def late_reader_port() -> Iterator[int]:
    """The hub's protocol in front of an app that works before it reads the body (as a
    route does while it waits for a worker), three body deadlines long."""
    port = free_port()
    protocol = envelope_protocol(header_timeout_s=1.0, body_idle_timeout_s=LATE_READ_S / 3)
    config = uvicorn.Config(_late_reader, port=port, log_level="warning", http=protocol,
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the test server did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join()


async def _late_reader(scope, receive, send) -> None:
    if scope["path"] == "/early":  # answers without reading the body, as a refusal does
        await send({"type": "http.response.start", "status": 401, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    await asyncio.sleep(LATE_READ_S)
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        received += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = str(received).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def test_a_body_sent_whole_is_not_timed_out_while_the_app_has_not_read_it(late_reader_port):
    """The server stops reading once enough of the body waits for the app: the silence
    that follows is the server's, not the client's."""
    body = b"x" * 2_000_000
    answer = exchange(late_reader_port, b"POST /late HTTP/1.1\r\n" + HOST + b"Connection: close\r\n"
                      + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert answer.endswith(b"\r\n\r\n2000000"), answer[:300]


def test_a_body_waiting_for_its_100_continue_is_not_timed_out(late_reader_port):
    """With `Expect: 100-continue` the client sends its body once the app reads it."""
    with socket.create_connection(("127.0.0.1", late_reader_port), timeout=20) as sock:
        sock.sendall(b"POST /late HTTP/1.1\r\n" + HOST + b"Connection: close\r\n"
                     b"Expect: 100-continue\r\nContent-Length: 10\r\n\r\n")
        interim = sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100"), interim[:300]
        sock.sendall(b"0123456789")
        answer = interim.partition(b"\r\n\r\n")[2]
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\n10"), answer[:300]


def test_a_body_unreadable_after_its_answer_gets_no_second_answer(late_reader_port):
    """A request already answered whose body then turns out unreadable is not answered
    twice: the connection is closed, and the one answer stays the only one."""
    with socket.create_connection(("127.0.0.1", late_reader_port), timeout=20) as sock:
        sock.sendall(b"POST /early HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 401"), answer[:300]
        sock.sendall(b"zz\r\n\r\n")
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.count(b"\r\nHTTP/1.1 ") == 0, answer[:600]
