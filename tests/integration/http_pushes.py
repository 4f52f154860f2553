"""Shared by the tests that push fiches to a running API process over HTTP."""

from __future__ import annotations

import json

import requests

from tests.factories import Credentials, make_fiche, other_porteur


def fiches(prefix: str, count: int, first: int = 0) -> list[dict]:
    """`count` fiches of distinct porteurs, `<prefix>-0`, `<prefix>-1`..."""
    return [make_fiche(fiche_id=f"{prefix}-{i}", porteur=other_porteur(first + i))
            for i in range(count)]


def push(port: int, creds: Credentials, batch: list[dict]) -> requests.Response:
    body = json.dumps({"fiches": batch}).encode()
    # No answer within a minute is a hang: it fails the test.
    return requests.post(f"http://127.0.0.1:{port}/v1/fiches", data=body,
                         headers=creds.headers("POST", "/v1/fiches", body), timeout=60)
