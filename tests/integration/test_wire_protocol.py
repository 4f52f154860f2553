"""A real `capactif serve` sent bytes no HTTP library would send: a request the HTTP/1.1
reader refuses (its framing, its request line, its header block) is answered in the
hub's error envelope, like every other refusal; a request that stops half-way gets a
408 instead of holding its connection for ever (docs/protocol.md, "The wire")."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from capactif_demo.processes import free_port, running, start_api

pytestmark = pytest.mark.integration

HOST = b"Host: hub\r\n"
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
}


@pytest.fixture(scope="module")
def hub_port(tmp_path_factory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("wire")
    port = free_port()
    env = {"HUB_DATA_DIR": str(folder / "data"), "HUB_REQUEST_HEADER_TIMEOUT_S": "1",
           "HUB_REQUEST_BODY_IDLE_TIMEOUT_S": "1"}
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


def test_a_header_block_too_large_is_a_431_in_the_envelope(hub_port):
    sent = b"GET /v1/feed HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    status, _, body = envelope(exchange(hub_port, sent))
    assert (status, body["error"]["code"]) == (431, "headers_too_large")


def test_headers_left_unfinished_get_a_408_and_the_connection_closed(hub_port):
    status, _, body = envelope(exchange(hub_port, b"POST /v1/fiches HTTP/1.1\r\n" + HOST))
    assert (status, body["error"]["code"]) == (408, "request_timeout")


def test_a_body_left_unfinished_gets_a_408_and_the_connection_closed(hub_port):
    sent = b"POST /v1/fiches HTTP/1.1\r\n" + HOST + b"Content-Length: 100\r\n\r\n{\"fi"
    status, _, body = envelope(exchange(hub_port, sent))
    assert (status, body["error"]["code"]) == (408, "request_timeout")


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
