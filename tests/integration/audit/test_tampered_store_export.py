"""A stored log that no longer matches its signed head (an entry rewritten with its leaf
hash) is still exported, with a warning, so that the offline verifier names the bad
entry: the hub refuses to sign over it, but a refused export left the DPO nothing to
verify (`capactif audit export` failed with an empty file, the API answered 500).
Operators see it in /healthz and /metrics. Both stores; the CLI as its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.audit.verify import verify_file, verify_lines
from hub.bootstrap import Hub
from hub.services.audit import trail as audit
from tests.factories import Credentials
from tests.fakes.publisher import RecordingPublisher
from tests.integration.audit.dpo_http import NETWORK, dpo_hub

pytestmark = pytest.mark.integration

TAMPERED = 3


def signed_then_tampered(hub: Hub) -> None:
    """Six events under a signed head, then entry TAMPERED rewritten with its leaf hash."""
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers") for _ in range(6)])
    audit.publish_head(hub)
    with hub.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET actor_member = 'intrus', leaf_hash = :leaf"
                             " WHERE seq = :seq"), {"leaf": os.urandom(32), "seq": TAMPERED})


def test_the_export_command_writes_a_tampered_log_with_a_warning(hub, tmp_path):
    signed_then_tampered(hub)
    output = tmp_path / "journal.jsonl"
    env = {**os.environ, "HUB_DATA_DIR": str(hub.settings.data_dir),
           "HUB_DATABASE_URL": hub.settings.database_url.reveal()}
    done = subprocess.run([sys.executable, "-m", "hub.cli", "audit", "export", "--output",
                           str(output)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "audit_integrity_error" in done.stderr and "Traceback" not in done.stderr
    meta = json.loads(output.read_text().splitlines()[0])
    assert meta["warning"]["code"] == "audit_integrity_error"
    report = verify_file(output, hub.hub_keys.public_keys())
    assert not report.ok and report.first_bad_seq is not None
    assert report.first_bad_seq <= TAMPERED
    assert "export_store_mismatch" in {w.code for w in report.warnings}


@pytest.fixture
def tampered_api(db_url, tmp_path):
    """The DPO network with its log tampered, served by a hub started after the tamper."""
    first, _porteur, _fiche = dpo_hub(db_url, tmp_path)
    signed_then_tampered(first)
    first.close()
    hub = Hub.from_settings(first.settings, publisher=RecordingPublisher())
    with TestClient(create_app(hub=hub), base_url="http://127.0.0.1",
                    client=("127.0.0.1", 50000)) as client:  # the operator's loopback
        yield client, Credentials(tmp_path / "creds" / f"{NETWORK}.dpo.json"), hub
    hub.close()


def test_the_api_export_of_a_tampered_log_answers_it_with_a_warning(tampered_api):
    client, dpo, hub = tampered_api
    response = client.get("/v1/audit/export", headers=dpo.headers("GET", "/v1/audit/export"))
    assert response.status_code == 200
    assert response.headers["capactif-integrite"] == "audit_integrity_error"
    report = verify_lines(response.text.splitlines(), hub.hub_keys.public_keys())
    assert not report.ok and report.first_bad_seq is not None
    assert report.first_bad_seq <= TAMPERED


def test_health_and_metrics_report_a_tampered_log(tampered_api):
    client, _dpo, _hub = tampered_api
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["error"]["code"] == "audit_integrity_error"
    assert "intrus" not in health.text
    metrics = client.get("/metrics").text
    assert "capactif_audit_integrity_ok 0.0" in metrics


def test_proofs_are_refused_over_a_tampered_log(tampered_api):
    """Proofs computed from entries that no longer give the signed root would not verify
    against it, and would prove the rewritten entries: the hub says why it has none."""
    client, dpo, _hub = tampered_api
    for path in (f"/v1/audit/proofs/inclusion/{TAMPERED}", "/v1/audit/proofs/consistency?first=1"):
        answer = client.get(path, headers=dpo.headers("GET", path))
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "audit_integrity_error"
