"""The DPO's routes, API and console, over real HTTP, each parameter sent malformed in
turn (dates, seq numbers, pages, `upto`, porteur, member and fiche ids, formats): empty,
negative, huge, not a number, other scripts' digits, a NUL, a right-to-left mark, a
date that does not exist or has no offset. Each is answered 4xx, in the API's error
envelope (the console: its error page), never a server error. On both databases."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from hub.api.app import create_app
from tests.console_world import build_world, console_hub
from tests.e2e.browser import served
from tests.factories import Clock
from tests.integration.audit.dpo_http import dpo_world
from tests.integration.test_console import csrf_of, sign_in

pytestmark = pytest.mark.integration
__all__ = ["dpo_world"]

ANY_TEXT = ["\x00", "a\x00b", "x" * 5000, "\u202e1", "é" * 80, "../..", "%00", " ", "\ud7ff"]
NUMBERS = ["", "-1", "-9223372036854775809", "99999999999999999999999", "1e3", "1.5", "0x10",
           "١٢", "𝟏", "+", "true", "1\x00", "9" * 400]
DATES = ["", "2026-13-45T00:00:00Z", "2026-02-30T00:00:00+01:00", "0000-01-01T00:00:00Z",
         "99999-01-01T00:00:00Z", "2026-01-01T00:00:00", "20261201", "-1", "2026-01-01T25:61:00Z",
         "2026-01-01T00:00:00+99:00", "２０２６-01-01T00:00:00Z", "2026-01-01T00:00:00Z\x00"]
IDS = ["", "-", "prt_\x00", "prt_" + "x" * 300, "prt_é", "prt_\u202e", "../etc", "a b"]

# (path, parameter, values): each value sent alone (the other parameters valid).
API_QUERIES = [
    ("/v1/audit", "depuis", DATES), ("/v1/audit", "jusqu_a", DATES),
    ("/v1/audit", "limit", [*NUMBERS, "0", "10001"]), ("/v1/audit", "page", [*NUMBERS, "0"]),
    ("/v1/audit", "upto", NUMBERS), ("/v1/audit", "porteur", [*IDS, *ANY_TEXT]),
    ("/v1/audit", "membre", [*IDS, *ANY_TEXT]), ("/v1/audit", "action", ["API_READ", *ANY_TEXT]),
    ("/v1/audit/alerts", "depuis", DATES),
    ("/v1/audit/proofs/inclusion/0", "size", NUMBERS),
    ("/v1/audit/proofs/consistency", "first", NUMBERS),
    ("/v1/audit/proofs/consistency?first=0", "second", NUMBERS),
    ("/v1/audit/export", "format", ["", "xml", "CSV", "csv\x00", "jsonl;", *ANY_TEXT]),
    ("/v1/audit/export?format=csv", "depuis", DATES),
    ("/v1/audit/export?format=csv", "porteur", IDS),
    ("/v1/audit/export?format=csv", "membre", IDS),
]
API_PATHS = [("/v1/audit/report/{}", [*IDS[1:], *ANY_TEXT]),
             ("/v1/audit/fiches/{}/report", [*IDS[1:], *ANY_TEXT]),
             ("/v1/audit/proofs/inclusion/{}", NUMBERS[1:])]


def _cases() -> Iterator[str]:
    for path, name, values in API_QUERIES:
        joiner = "&" if "?" in path else "?"
        for value in values:
            yield f"{path}{joiner}{name}={quote(value, safe='')}"
    for path, values in API_PATHS:
        for value in values:
            yield path.format(quote(value, safe=""))


def test_every_dpo_api_parameter_malformed_is_a_4xx_in_the_error_envelope(dpo_world):
    refused = []
    for target in _cases():
        answer = dpo_world.get(target)
        body = answer.json() if answer.headers.get("content-type", "").startswith(
            "application/json") else None
        if not 400 <= answer.status_code < 500 or not (body and body["error"]["code"]):
            refused.append(f"{target[:120]!r} -> {answer.status_code} {answer.text[:200]}")
    assert not refused, "\n".join(refused)


@pytest.fixture
def dpo_console(db_url, tmp_path) -> Iterator[tuple[httpx.Client, str]]:
    hub = console_hub(db_url, tmp_path, Clock())
    try:
        build_world(hub, tmp_path)
        with served(create_app(hub=hub)) as url, httpx.Client(base_url=url, timeout=60) as client:
            sign_in(client, "dpo")
            yield client, csrf_of(client.get("/console/dpo/journal").text)
    finally:
        hub.close()


# (method, path, field, values): a form field (POST) or a query parameter (GET).
CONSOLE_FIELDS = [
    *[("POST", "/console/dpo/journal", field, values) for field, values in [
        ("depuis", DATES), ("jusqua", DATES), ("aller", [*NUMBERS, "0"]),
        ("jusqu_au_n", NUMBERS), ("porteur", [*IDS, *ANY_TEXT]), ("membre", [*IDS, *ANY_TEXT]),
        ("action", ANY_TEXT), ("compte", [*IDS, *ANY_TEXT])]],
    *[("GET", "/console/dpo/journal", field, values) for field, values in [
        ("depuis", DATES), ("jusqua", DATES), ("membre", ANY_TEXT), ("compte", ANY_TEXT)]],
    ("POST", "/console/dpo/rapport", "porteur", [*IDS, *ANY_TEXT]),
    ("POST", "/console/dpo/personne", "qui", ANY_TEXT),
    ("GET", "/console/dpo/alertes", "periode", [*NUMBERS, *ANY_TEXT]),
    ("POST", "/console/dpo/alertes/prise-en-compte", "entree", NUMBERS),
    ("GET", "/console/dpo/consentements", "page", NUMBERS),
    *[("POST", path, field, values) for path in ("/console/dpo/export", "/console/dpo/export.csv")
      for field, values in [("depuis", DATES), ("porteur", IDS), ("membre", IDS),
                            ("compte", IDS)]],
]


def test_every_dpo_console_field_malformed_is_answered_without_a_server_error(dpo_console):
    client, token = dpo_console
    failed = []
    for method, path, field, values in CONSOLE_FIELDS:
        for value in values:
            answer = client.post(path, data={"csrf": token, field: value}) if method == "POST" \
                else client.get(path, params={field: value})
            if answer.status_code >= 500:
                failed.append(f"{method} {path} {field}={value[:40]!r} -> {answer.status_code}")
    for value in [*IDS[1:], *ANY_TEXT]:
        answer = client.get(f"/console/dpo/rapport/{quote(value, safe='')}")
        if not 400 <= answer.status_code < 500:
            failed.append(f"GET rapport/{value[:40]!r} -> {answer.status_code}")
    assert not failed, "\n".join(failed)
