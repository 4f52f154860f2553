"""The webhook receiver over real HTTP: signed deliveries land once in the folder."""

import orjson
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
