"""The webhook receiver over real HTTP: signed deliveries land once in the folder."""

import contextlib
import select
import socket
import time

import orjson
import pytest
import requests

from connectors import signing
from connectors.receiver import WebhookReceiver, serve_in_thread


def test_signed_deliveries_are_stored_once_and_forged_ones_refused(tmp_path):
    private, public = signing.generate_key_pair()
    key = signing.load_private_key(private)
    receiver = WebhookReceiver(tmp_path / "livraisons", {"hub-2025": public})
    server, url = serve_in_thread(receiver)
    try:
        body = orjson.dumps({"delivery_id": "dlv_42", "evenement": "fiche_creee"})
        headers = {**signing.sign_webhook(key, "hub-2025", body),
                   "X-Capactif-Delivery-Id": "dlv_42", "Content-Type": "application/json"}
        first = requests.post(url, data=body, headers=headers, timeout=5)
        again = requests.post(url, data=body, headers=headers, timeout=5)
        forged = requests.post(url, data=body.replace(b"42", b"43"), headers={
            **headers, "X-Capactif-Delivery-Id": "dlv_43"}, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert (first.status_code, first.json()["status"]) == (200, "stored")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert forged.status_code == 401
    assert [p.name for p in receiver.deliveries()] == ["dlv_42.json"]


@contextlib.contextmanager
def unsigned_receiver(tmp_path, **limits):
    """A receiver knowing no hub key, served in a thread: (receiver, server)."""
    receiver = WebhookReceiver(tmp_path / "livraisons", {})
    server, _url = serve_in_thread(receiver, **limits)
    try:
        yield receiver, server
    finally:
        server.shutdown()
        server.server_close()


def _answer_or_close(connection: socket.socket) -> bytes:
    """What the receiver sends before closing the connection (b"": closed silently);
    socket.timeout when it keeps the connection open past the client's patience."""
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received


@pytest.mark.parametrize("sent", [
    b"",  # connected, nothing sent
    b"POST / HTTP/1.1\r\nHost: r\r\n",  # headers never ended
    b"POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 100\r\n\r\n{\"delivery",  # body cut
])
def test_a_connection_that_stops_sending_is_closed_not_held_for_ever(tmp_path, sent):
    """The receiver listens where the hub can reach it, so anyone can connect: a
    connection that stops sending must not hold one of its threads for ever."""
    with unsigned_receiver(tmp_path, request_timeout_s=0.5) as (receiver, server), \
            socket.create_connection(server.server_address[:2], timeout=30) as connection:
        connection.sendall(sent)
        answer = _answer_or_close(connection)  # socket.timeout: held for ever
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408")
    assert receiver.deliveries() == []


@pytest.mark.parametrize("opening", [
    b"POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 1000\r\n\r\n",  # a body trickling
    b"POST / HTTP/1.1\r\nHost: r\r\nX-",  # headers trickling
])
def test_a_request_trickling_a_byte_at_a_time_is_cut_at_its_deadline(tmp_path, opening):
    """Never silent for long, yet never done: one deadline bounds the whole request."""
    with unsigned_receiver(tmp_path, request_timeout_s=0.5) as (_, server), \
            socket.create_connection(server.server_address[:2], timeout=30) as connection:
        connection.sendall(opening)
        cut = False
        for _ in range(200):  # a byte every 0.1 s, up to 20 s: far past the deadline
            if cut := bool(select.select([connection], [], [], 0.1)[0]):
                break
            connection.sendall(b"x")
        answer = _answer_or_close(connection)
    assert cut, "the request was still read after 20 s of trickle"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408")


def test_connections_beyond_the_cap_are_answered_503_at_once(tmp_path):
    with unsigned_receiver(tmp_path, max_connections=2) as (_, server), \
            contextlib.ExitStack() as held:
        for _ in range(2):  # each holds a thread, its headers never ending
            connection = held.enter_context(
                socket.create_connection(server.server_address[:2], timeout=30))
            connection.sendall(b"POST / HTTP/1.1\r\nHost: r\r\n")
        for _ in range(3000):  # both taken by their threads (at most 30 s)
            if server.connections_open == 2:
                break
            time.sleep(0.01)
        with socket.create_connection(server.server_address[:2], timeout=30) as third:
            answer = _answer_or_close(third)
    assert answer.startswith(b"HTTP/1.1 503")
    assert b"Retry-After: 30" in answer
