"""The webhook receiver over real HTTP: signed deliveries land once in the folder."""

import socket

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
    receiver = WebhookReceiver(tmp_path / "livraisons", {})
    server, _url = serve_in_thread(receiver, idle_timeout_s=0.5)
    host, port = server.server_address[:2]
    try:
        with socket.create_connection((host, port), timeout=30) as connection:
            connection.sendall(sent)
            answer = _answer_or_close(connection)  # socket.timeout today: held for ever
    finally:
        server.shutdown()
        server.server_close()
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408")
    assert receiver.deliveries() == []
