"""Found by probing a running hub from outside, as a partner or an attacker would: each
case was a 500 or an answer that broke the documented contract."""

from __future__ import annotations

import datetime as dt

import pytest

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration


def _consent(contract, **times: str) -> dict:
    version, digest = contract.hub.consents.store_notice(NOTICE_TEXT)
    now = dt.datetime.now(dt.UTC)
    return example_submission(version, digest, now, membre=OWNER, fiche_id="F-1",
                              reference="CST-F-1", **times)


@pytest.mark.parametrize("field", ["recueilli_le", "expire_le"])
@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_consent_time_with_no_instant_in_utc_is_a_400_naming_it(contract, field, value):
    response = contract.call(OWNER, "POST", "/v1/consents", _consent(contract, **{field: value}))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_consent"
    assert [e["path"] for e in response.json()["error"]["erreurs"]] == [f"$.{field}"]


def test_a_consent_time_with_a_lower_case_t_and_z_is_recorded(contract):
    """RFC 3339 allows them, and the schema's format accepted them: then a 500."""
    now = dt.datetime.now(dt.UTC)
    times = {"recueilli_le": f"{now:%Y-%m-%dt%H:%M:%S}z",
             "expire_le": f"{now + dt.timedelta(days=30):%Y-%m-%dt%H:%M:%S}z"}
    response = contract.call(OWNER, "POST", "/v1/consents", _consent(contract, **times))
    assert response.status_code == 201, response.text
    assert response.json()["recueilli_le"] == f"{now:%Y-%m-%dT%H:%M:%S}Z"
