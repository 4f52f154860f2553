"""A request signed off the hub's clock is refused (401 `stale_request`) saying by how
many seconds and which way it is off, and the window accepted: "check the system clock"
alone left a partner guessing whether its clock was ahead, behind, or its time zone wrong."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from connectors.http_signatures import sign_request_rfc9421
from hub.errors import StaleRequest
from hub.services.accounts.auth import authenticate
from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("shift", "said_en"), [(3600, "3600 s ahead of"), (-7200, "7200 s behind")])
def test_a_signature_made_off_the_hub_s_clock_says_by_how_much_and_the_window(contract, shift,
                                                                           said_en):
    """A partner whose clock drifted reads how far and which way, not only "check the
    system clock"."""
    now = dt.datetime(2027, 3, 1, 9, 0, 0, 600_000, tzinfo=dt.UTC)
    credentials = contract.creds(OWNER)
    headers = sign_request_rfc9421(credentials.private_key, OWNER, "GET", "/v1/feed", b"",
                                   now=int(now.timestamp()) + shift)
    headers["authorization"] = f"Bearer {credentials.token}"
    headers = {name.lower(): value for name, value in headers.items()}
    with pytest.raises(StaleRequest) as refused:
        authenticate(dataclasses.replace(contract.hub, clock=lambda: now), headers, "GET",
                     "/v1/feed", b"")
    window = contract.hub.settings.signature_max_skew_s
    assert said_en in refused.value.message_en and f"{window} s" in refused.value.message_en
