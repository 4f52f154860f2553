"""Who reads the access log over HTTP, on both databases: DPO credentials from the network
file (network and member scopes), each member's report on its own fiches, CSV and JSONL
exports streamed with the search filters, nothing personal in them."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.audit.verify import verify_lines
from hub.services.accounts.members import load_network
from tests.factories import Credentials
from tests.integration.audit.dpo_http import NETWORK, OWNER, RECIPIENT, dpo_hub, network_document

pytestmark = pytest.mark.integration


@pytest.fixture
def world(db_url, tmp_path):
    hub, porteur_id, fiche = dpo_hub(db_url, tmp_path)
    with TestClient(create_app(hub=hub)) as client:
        yield client, (lambda name: Credentials(tmp_path / "creds" / f"{name}.json")), porteur_id, fiche
    hub.close()


def get(client, creds: Credentials, path: str):
    return client.get(path, headers=creds.headers("GET", path))


def test_members_naming_a_dpo_get_a_separate_dpo_credential(world) -> None:
    _client, creds, _porteur, _fiche = world
    dpo = creds(f"{NETWORK}.dpo")
    assert dpo.member_id == NETWORK and dpo.token.startswith(f"dpo:{NETWORK}.")
    assert dpo.token != creds(NETWORK).token


def test_a_member_credential_even_of_the_coordination_cannot_search_the_log(world) -> None:
    client, creds, _porteur, _fiche = world
    for name in (NETWORK, OWNER):
        assert get(client, creds(name), "/v1/audit").status_code == 403


def test_the_network_dpo_searches_every_member_and_gets_any_porteurs_report(world) -> None:
    client, creds, porteur_id, _fiche = world
    dpo = creds(f"{NETWORK}.dpo")
    found = get(client, dpo, f"/v1/audit?membre={RECIPIENT}").json()["evenements"]
    assert {e["action"] for e in found} >= {"feed_pull"}
    report = get(client, dpo, f"/v1/audit/report/{porteur_id}").json()
    assert [r["membre"] for r in report["destinataires"]] == [RECIPIENT]
    views = get(client, dpo, "/v1/audit?action=audit_view").json()["evenements"]
    assert views and all(v["membre"] == NETWORK for v in views)


def test_a_member_dpo_sees_only_its_own_members_accesses(world) -> None:
    client, creds, porteur_id, _fiche = world
    dpo = creds(f"{OWNER}.dpo")
    found = get(client, dpo, "/v1/audit").json()["evenements"]
    assert found and {e["membre"] for e in found} == {OWNER}
    assert get(client, dpo, f"/v1/audit?membre={RECIPIENT}").status_code == 403
    assert get(client, dpo, f"/v1/audit/report/{porteur_id}").status_code == 403
    assert get(client, dpo, "/v1/audit/export").status_code == 403


def test_a_members_dpo_gets_the_report_on_its_own_fiche_and_not_on_anothers(world) -> None:
    client, creds, _porteur, _fiche = world
    report = get(client, creds(f"{OWNER}.dpo"), "/v1/audit/fiches/F-1/report").json()
    assert [r["membre"] for r in report["destinataires"]] == [RECIPIENT]
    assert "projet.intitule" in report["destinataires"][0]["champs"]
    assert get(client, creds(f"{NETWORK}.dpo"), "/v1/audit/fiches/F-1/report").status_code == 404
    # Operational credentials never read the log, not even about their own fiches.
    assert get(client, creds(OWNER), "/v1/audit/fiches/F-1/report").status_code == 403


def test_a_csv_export_is_filtered_streamed_and_holds_no_personal_value(world) -> None:
    client, creds, porteur_id, fiche = world
    path = f"/v1/audit/export?format=csv&porteur={porteur_id}"
    response = get(client, creds(f"{NETWORK}.dpo"), path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    *rows, end = list(csv.DictReader(io.StringIO(response.text), delimiter=";"))
    assert (end["seq"], end["horodatage"]) == ("fin", str(len(rows)))  # a cut file has none
    assert rows and "feed_pull" in {r["action"] for r in rows}
    assert len({r["porteur_ref"] for r in rows}) == 1
    for value in (porteur_id, fiche["porteur"]["nom"], fiche["porteur"]["prenom"], "F-1"):
        assert value not in response.text


def test_a_filtered_jsonl_export_has_one_entry_line_per_matching_event(world) -> None:
    client, creds, _porteur, _fiche = world
    response = get(client, creds(f"{NETWORK}.dpo"), "/v1/audit/export?action=feed_pull")
    *lines, end = [json.loads(line) for line in response.text.splitlines()]
    assert lines and {(r["type"], r["event"]["action"]) for r in lines} == {("entry", "feed_pull")}
    assert end == {"type": "end", "lines": len(lines)}  # a stream cut short has none


def test_the_network_dpos_full_export_verifies_offline(world) -> None:
    client, creds, _porteur, _fiche = world
    response = get(client, creds(f"{NETWORK}.dpo"), "/v1/audit/export")
    hub = client.app.state.hub
    report = verify_lines(response.text.splitlines(), hub.hub_key.public_key)
    assert report.ok, report.render()


def test_a_member_no_longer_naming_a_dpo_loses_the_dpo_credential(world, tmp_path) -> None:
    client, creds, _porteur, _fiche = world
    path = tmp_path / "network.json"
    path.write_text(json.dumps(network_document(None)))
    load_network(client.app.state.hub, path, tmp_path / "creds")
    assert get(client, creds(f"{OWNER}.dpo"), "/v1/audit").status_code == 401


def test_alerts_are_served_to_dpos_only(world) -> None:
    client, creds, _porteur, _fiche = world
    response = get(client, creds(f"{NETWORK}.dpo"), "/v1/audit/alerts")
    assert response.status_code == 200 and response.json() == {"alertes": []}
    assert get(client, creds(RECIPIENT), "/v1/audit/alerts").status_code == 403
