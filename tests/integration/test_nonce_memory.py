"""A request nonce is remembered for as long as a request signed with it can still be
found fresh: `created` may be up to the skew ahead of the hub's clock when first seen,
and freshness is judged in whole seconds."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from connectors.http_signatures import sign_request_rfc9421
from hub.errors import ReplayedRequest
from hub.services.accounts.auth import authenticate
from hub.services.ingest.processing import forget_old_nonces
from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration


def test_a_nonce_is_not_forgotten_while_a_replay_of_its_request_would_be_fresh(contract):
    first_seen = dt.datetime(2027, 3, 1, 9, 0, 0, 600_000, tzinfo=dt.UTC)
    skew = contract.hub.settings.signature_max_skew_s
    created = int(first_seen.timestamp()) + skew  # the signer's clock ahead by the whole skew
    credentials = contract.creds(OWNER)
    headers = sign_request_rfc9421(credentials.private_key, OWNER, "GET", "/v1/feed", b"",
                                   now=created, nonce="nonce-de-la-requete-1")
    headers["authorization"] = f"Bearer {credentials.token}"
    headers = {name.lower(): value for name, value in headers.items()}
    at = dataclasses.replace(contract.hub, clock=lambda: first_seen)
    authenticate(at, headers, "GET", "/v1/feed", b"")
    # 2 × skew and 0.3 s later, int(now) - created is still the skew: fresh.
    later = first_seen + dt.timedelta(seconds=2 * skew, milliseconds=300)
    at = dataclasses.replace(contract.hub, clock=lambda: later)
    forget_old_nonces(at)
    with pytest.raises(ReplayedRequest):
        authenticate(at, headers, "GET", "/v1/feed", b"")
