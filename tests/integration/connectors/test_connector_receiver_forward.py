"""The webhook receiver forwarding to the member's own endpoint, over real local HTTP:
the hub gets its 2xx only once the endpoint took the delivery."""

import threading
from http.server import BaseHTTPRequestHandler

import orjson
import pytest
import requests

from capactif_demo.sim.local_server import LocalServer
from connectors import signing
from connectors.errors import ConfigurationError, ForwardError
from connectors.forwarder import Forwarder
from connectors.receiver import WebhookReceiver, serve_in_thread


class MemberEndpoint(LocalServer):
    """The member's own HTTP endpoint: answers the scripted statuses, then 200."""

    def __init__(self, statuses=(), port=0):
        self.statuses = list(statuses)
        self.received = []
        self._port = port
        self._lock = threading.Lock()

    def _handler(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with endpoint._lock:
                    endpoint.received.append((dict(self.headers.items()), body))
                    status = endpoint.statuses.pop(0) if endpoint.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler


@pytest.fixture
def hub_key():
    private, public = signing.generate_key_pair()
    return signing.load_private_key(private), {"hub-2025": public}


def delivery(key, delivery_id="dlv_42"):
    body = orjson.dumps({"delivery_id": delivery_id, "evenement": "fiche_creee"})
    headers = {**signing.sign_webhook(key, "hub-2025", body),
               signing.DELIVERY_HEADER: delivery_id, "Content-Type": "application/json"}
    return body, headers


def quick(url, **options):
    return Forwarder(url, backoff_s=0.01, max_backoff_s=0.05, **options)


def post(receiver, body, headers):
    server, url = serve_in_thread(receiver)
    try:
        return requests.post(url, data=body, headers=headers, timeout=15)
    finally:
        server.shutdown()
        server.server_close()


def test_a_verified_delivery_reaches_the_members_endpoint_as_received(hub_key):
    key, keys = hub_key
    body, headers = delivery(key)
    with MemberEndpoint() as endpoint:
        answer = post(WebhookReceiver(None, keys, forwarder=quick(endpoint.url, token="t0k")),
                      body, headers)
    assert (answer.status_code, answer.json()["status"]) == (200, "forwarded")
    [(received_headers, received_body)] = endpoint.received
    assert received_body == body
    assert received_headers[signing.DELIVERY_HEADER] == "dlv_42"
    assert received_headers["Authorization"] == "Bearer t0k"
    assert received_headers[signing.SIGNATURE_HEADER] == headers[signing.SIGNATURE_HEADER]


def test_a_forged_delivery_is_refused_and_never_forwarded(hub_key):
    key, keys = hub_key
    body, headers = delivery(key)
    with MemberEndpoint() as endpoint:
        answer = post(WebhookReceiver(None, keys, forwarder=quick(endpoint.url)),
                      body.replace(b"42", b"43"), headers)
    assert answer.status_code == 401
    assert endpoint.received == []


def test_an_endpoint_failing_briefly_is_retried_before_the_hub_is_answered(hub_key):
    key, keys = hub_key
    body, headers = delivery(key)
    with MemberEndpoint(statuses=[503, 502]) as endpoint:
        answer = post(WebhookReceiver(None, keys, forwarder=quick(endpoint.url)), body, headers)
    assert answer.status_code == 200
    assert [b for _, b in endpoint.received] == [body, body, body]


def test_an_endpoint_down_leaves_the_delivery_with_the_hub_until_it_is_back(hub_key, tmp_path):
    key, keys = hub_key
    with MemberEndpoint() as probe:  # a port that is free once the probe stops
        port = int(probe.url.rsplit(":", 1)[1])
    receiver = WebhookReceiver(tmp_path / "livraisons", keys,
                               forwarder=quick(f"http://127.0.0.1:{port}/", retries=1))
    first = post(receiver, *delivery(key))
    with MemberEndpoint(port=port) as endpoint:
        again = post(receiver, *delivery(key))  # the hub's retry, signed again
    assert first.status_code == 503
    assert first.json()["error"]["code"] == "forward_failed"
    assert first.headers["Retry-After"]
    assert [p.name for p in receiver.deliveries()] == ["dlv_42.json"]  # kept meanwhile
    assert (again.status_code, again.json()) == (
        200, {"delivery_id": "dlv_42", "status": "duplicate", "forwarded": True})
    assert len(endpoint.received) == 1


def test_an_endpoint_refusing_the_delivery_is_not_retried_and_the_hub_keeps_it(hub_key):
    key, keys = hub_key
    with MemberEndpoint(statuses=[401]) as endpoint:
        answer = post(WebhookReceiver(None, keys, forwarder=quick(endpoint.url)),
                      *delivery(key))
    assert answer.status_code == 503
    assert len(endpoint.received) == 1


def test_retries_stop_within_the_deadline_so_the_hub_is_answered_in_time():
    sleeps = []
    forwarder = Forwarder("http://127.0.0.1:9/", retries=10, backoff_s=1, max_backoff_s=4,
                          deadline_s=3, sleep=sleeps.append, clock=lambda: sum(sleeps))
    with pytest.raises(ForwardError) as caught:
        forwarder.forward("dlv_1", b"{}", {})
    assert caught.value.status is None
    assert sum(sleeps) < 3


def test_a_receiver_needs_a_folder_or_an_endpoint():
    with pytest.raises(ConfigurationError):
        WebhookReceiver(None, {"hub-2025": signing.generate_key_pair()[1]})
