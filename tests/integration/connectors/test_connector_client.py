"""HubClient against a real local server that checks the documented signature."""

import socket

import pytest

from connectors.client import HubClient
from connectors.errors import (
    ConfigurationError,
    HubAuthError,
    HubNotFound,
    HubRequestRejected,
    HubUnavailable,
)


def fiche(fiche_id="F-1", version=1, **porteur):
    return {"fiche_id": fiche_id, "membre": "commune-ambert", "version": version,
            "mis_a_jour_le": "2025-03-14T10:30:00+01:00",
            "porteur": {"nom": "Durand", "prenom": "Léa", **porteur}}


def test_a_signed_batch_gets_per_item_results(hub, client):
    result = client.push_fiches([fiche("F-1"), fiche("F-2", courriel="pas-un-courriel")])
    assert hub.auth_failures == 0
    assert [i.fiche_id for i in result.accepted] == ["F-1"]
    assert result.accepted[0].receipt["version"] == 1
    [rejected] = result.rejected
    assert rejected.fiche_id == "F-2"
    assert rejected.errors[0]["path"] == "$.porteur.courriel"


def test_pushing_the_same_version_again_is_a_duplicate_with_the_same_receipt(client):
    first = client.push_fiches([fiche()]).accepted[0]
    second = client.push_fiches([fiche()]).accepted[0]
    assert second.duplicate and second.receipt == first.receipt


def test_wrong_credentials_make_one_call_and_a_clear_error(hub, credentials):
    wrong = HubClient(hub.url, "commune-ambert", credentials["token"] + "x",
                      credentials["cle_privee"], retries=5, backoff_s=0.01)
    with pytest.raises(HubAuthError) as caught:
        wrong.push_fiches([fiche()])
    assert hub.requests == 1
    assert caught.value.status == 401 and caught.value.hub_code == "authentication_failed"
    assert credentials["token"] not in str(caught.value)


def test_a_signature_with_another_key_is_refused_without_retry(hub, credentials):
    other = hub.add_member("cci-63")["cle_privee"]
    client = HubClient(hub.url, "commune-ambert", credentials["token"], other, retries=5)
    with pytest.raises(HubAuthError) as caught:
        client.get_fiche("commune-ambert", "F-1")
    assert caught.value.hub_code == "bad_signature" and hub.requests == 1


def test_a_503_is_retried_with_a_fresh_signature_then_succeeds(hub, client):
    hub.fail_next(503, 2)
    result = client.push_fiches([fiche()])
    assert len(result.accepted) == 1
    assert hub.requests == 3 and hub.auth_failures == 0


def test_a_hub_that_stays_unavailable_raises_hub_unavailable_after_the_retries(hub, client):
    hub.fail_next(503, 10)
    with pytest.raises(HubUnavailable) as caught:
        client.push_fiches([fiche()])
    assert caught.value.status == 503
    assert hub.requests == 3  # one try + retries=2


def test_a_4xx_other_than_auth_is_not_retried(hub, client):
    hub.fail_next(413, 5)
    with pytest.raises(HubRequestRejected):
        client.push_fiches([fiche()])
    assert hub.requests == 1


def test_an_unreachable_hub_is_a_typed_error_not_a_requests_exception(credentials):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HubClient(f"http://127.0.0.1:{port}", "commune-ambert", credentials["token"],
                       credentials["cle_privee"], retries=1, backoff_s=0.01, timeout=2)
    with pytest.raises(HubUnavailable):
        client.feed()


def test_reading_back_a_fiche_and_a_missing_one(client):
    client.push_fiches([fiche("F-9:a", version=2)])
    assert client.get_fiche("commune-ambert", "F-9:a")["version"] == 2
    with pytest.raises(HubNotFound):
        client.get_fiche("commune-ambert", "F-404")


def test_the_feed_pages_with_a_cursor(hub, client):
    hub.deliveries = [{"destinataire": "commune-ambert", "delivery_id": f"d{i}"} for i in range(3)]
    page = client.feed(limit=2)
    assert [d["delivery_id"] for d in page.deliveries] == ["d0", "d1"] and page.has_more
    rest = client.feed(after=page.next_cursor, limit=2)
    assert [d["delivery_id"] for d in rest.deliveries] == ["d2"] and not rest.has_more


def test_a_consent_is_recorded(hub, client):
    answer = client.record_consent({"reference": "CNS-1", "finalites": ["orientation"]})
    assert hub.consents[answer["consent_id"]]["membre"] == "commune-ambert"


def test_an_unreadable_credentials_file_is_a_configuration_error(tmp_path):
    (tmp_path / "id.json").write_text('{"membre": "x"}')
    with pytest.raises(ConfigurationError):
        HubClient.from_credentials_file(tmp_path / "id.json")


def test_the_token_never_shows_in_the_clients_repr(client, credentials):
    assert credentials["token"] not in repr(client)
