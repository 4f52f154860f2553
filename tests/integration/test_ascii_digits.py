"""Numbers the hub and the connectors read from others (headers, cells, console
addresses) are written in 0-9 only: `str.isdigit` is also true of « ² » (which `int` then
refuses: a 500, a dropped connection) and `int` reads « ١٢ » or « 1_2 » as 12."""

from __future__ import annotations

import asyncio
import secrets
import socket
import time

import pytest

from connectors.receiver import WebhookReceiver, serve_in_thread
from hub.domain.protocol import request_message
from hub.keys import b64url
from tests.factories import Credentials
from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration


def asgi_post(app, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    """The status the app answers a POST with these raw headers (no HTTP parser before
    it: an ASGI server other than the hub's own may pass them on as they came)."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"hub"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {}}
    asyncio.run(app(scope, receive, send))
    return next(m for m in sent if m["type"] == "http.response.start")["status"]


@pytest.mark.parametrize("length", ["²", "¹²³", "-5", "douze"])
def test_a_content_length_not_in_0_to_9_is_a_400(contract, length):
    headers = [(b"content-type", b"application/json"), (b"content-length", length.encode("latin-1"))]
    assert asgi_post(contract.client.app, "/v1/fiches", headers) == 400  # « ² » was a 500


@pytest.mark.parametrize("written", ["+{}", "{}_0"])
def test_a_legacy_signature_timestamp_not_in_0_to_9_is_refused_as_malformed(contract, written):
    creds = Credentials(contract.folder / f"{OWNER}.json")
    body = b'{"fiches": []}'
    now = str(int(time.time()))
    timestamp = written.format(now if "_" not in written else now[:-1])
    nonce = secrets.token_urlsafe(18)
    signature = creds.private_key.sign(request_message(timestamp, nonce, "POST", "/v1/fiches", body))
    answer = contract.client.post("/v1/fiches", content=body, headers={
        "Authorization": f"Bearer {creds.token}", "Content-Type": "application/json",
        "X-Capactif-Timestamp": timestamp,
        "X-Capactif-Nonce": nonce, "X-Capactif-Signature": b64url(signature)})
    # refused as malformed, naming the header (before: read as a time by int(), then
    # refused as a signature that does not match the member's key)
    assert answer.status_code == 401 and "X-Capactif-Timestamp" in answer.json()["error"]["message_en"]


@pytest.mark.parametrize("length", [b"\xb2", b"-5", b"1_0", b"douze"])
def test_the_receiver_answers_a_malformed_content_length_with_a_400(tmp_path, length):
    server, _url = serve_in_thread(WebhookReceiver(tmp_path / "livraisons", {}))
    port = server.server_address[1]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(b"POST /hook HTTP/1.1\r\nHost: r\r\nContent-Length: " + length
                               + b"\r\n\r\n{}")
            connection.shutdown(socket.SHUT_WR)  # a -5 read "to the end" waited for ever
            answer = connection.recv(4096)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.startswith(b"HTTP/1.1 400"), answer  # was no answer at all
