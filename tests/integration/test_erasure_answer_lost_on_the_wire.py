"""An erasure's answer that never reached its caller (the connection cut once the hub had
answered: the caller closed its socket without reading) is given again: the same request
sent again within a day answers that erasure (`termine` true), as many times as it is
sent, never 404 (the fiche removed) nor 409 (already erased): a caller told so would
believe its request had not been carried out. The same DELETE sent by several callers of
the member at once is one erasure, answered to each. Over real HTTP, on both stores."""

from __future__ import annotations

import concurrent.futures
import json
import socket
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from hub.api.app import create_app
from hub.services.accounts.auth import Caller
from hub.services.ingest import accept
from tests.e2e.browser import served
from tests.factories import Credentials, make_fiche, record_consents

pytestmark = pytest.mark.integration

OWNER = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")
ROUTES = {  # route -> (method, path, body, status of an erasure made)
    "delete": ("DELETE", f"/v1/fiches/{OWNER.member_id}/F-1", b"", 200),
    "erasure": ("POST", "/v1/erasures", b'{"fiche_id": "F-1"}', 201),
}


@pytest.fixture
def url(hub, tmp_path) -> Iterator[str]:
    fiche = make_fiche(member=OWNER.member_id, fiche_id="F-1")
    record_consents(hub, [fiche])
    assert accept.push_batch(hub, OWNER, [fiche])["accepted"] == 1
    with served(create_app(hub=hub)) as base:
        yield base


def _signed(tmp_path, method: str, path: str, body: bytes) -> dict[str, str]:
    creds = Credentials(tmp_path / "credentials" / f"{OWNER.member_id}.json")
    return creds.rfc9421_headers(method, path, body)


def _sent(url: str, tmp_path, route: str) -> httpx.Response:
    method, path, body, _ = ROUTES[route]
    return httpx.request(method, url + path, content=body, timeout=60,
                         headers=_signed(tmp_path, method, path, body))


def _cut_once_answered(url: str, tmp_path, route: str) -> None:
    """The request sent on a socket closed at the answer's first byte (the hub answered;
    the caller never read the answer)."""
    method, path, body, _ = ROUTES[route]
    address = urllib.parse.urlsplit(url)
    head = "".join(f"{name}: {value}\r\n"
                   for name, value in _signed(tmp_path, method, path, body).items())
    with socket.create_connection((address.hostname, address.port), timeout=60) as wire:
        wire.sendall(f"{method} {path} HTTP/1.1\r\nHost: {address.netloc}\r\n{head}"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        assert wire.recv(1) == b"H"


def _erasures(hub) -> list[str]:
    with hub.engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT id FROM erasures")))


def _made(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    made: dict[str, Any] = answer.json()
    assert (made["termine"], made["reste"], made["fiches_effacees"]) == (True, None, 1), made
    return made


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_an_erasure_whose_answer_never_reached_the_caller_is_answered_again(
        hub, url, tmp_path, route):
    _cut_once_answered(url, tmp_path, route)
    [made] = _erasures(hub)
    status = ROUTES[route][3]
    again = _made(_sent(url, tmp_path, route), status)
    once_more = _made(_sent(url, tmp_path, route), status)  # that answer lost as well
    assert again["effacement"] == once_more["effacement"] == made
    assert again == once_more
    assert _erasures(hub) == [made]


def test_the_same_delete_sent_at_once_by_several_callers_is_one_erasure_answered_to_each(
        hub, url, tmp_path):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _sent(url, tmp_path, "delete"), range(4)))
    made = [_made(answer, 200)["effacement"] for answer in answers]
    assert set(made) == set(_erasures(hub)) and len(set(made)) == 1, [
        (a.status_code, json.loads(a.text)) for a in answers]
