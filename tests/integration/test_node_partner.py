"""A partner that is not written in Python and knows only the docs: with Node's built-in
crypto it signs (RFC 9421 + Content-Digest) its information notice, a consent citing it
and a fiche, sent to a real hub process (uvicorn, Celery worker, PostgreSQL, Redis), and
verifies (Standard Webhooks v1a) the delivery it gets. Nothing is stored for it in Python
but the network file its credentials come from."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from capactif_demo.processes import free_port, running, start_api, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.conftest import IN_CI
from tests.factories import ALL_PURPOSES, ALL_ROLES, make_fiche
from tests.fakes.publisher import RecordingPublisher
from tests.integration.scale import scale_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NODE_PARTNER = Path(__file__).parents[2] / "examples" / "node" / "partner.mjs"
OWNER, RECIPIENT = "commune-ambert", "cci-thiers"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node is not installed")
        pytest.skip("node is not installed")
    return node


def _network(path: Path, webhook_port: int) -> Path:
    def member(member_id, kind, role, **extra):
        return {"id": member_id, "nom": member_id, "nature": kind, "role": role,
                "contact": {"courriel": f"{member_id}@exemple.fr"}, **extra}
    path.write_text(json.dumps({"reseau": "test", "membres": [
        member(OWNER, "commune", "accueil"),
        member(RECIPIENT, "cci", "accompagnement", webhook=f"http://127.0.0.1:{webhook_port}/",
               abonnements=[{"communes": ["63003"]}]),
    ]}))
    return path


def test_a_node_partner_signs_pushes_and_verifies_its_webhook(tmp_path, postgres_url):
    node = _node()
    with scale_store(postgres_url) as store:
        api_port, webhook_port = free_port(), free_port()
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_PORT": str(api_port),
               "HUB_DISPATCH_INTERVAL_S": "0.5", "HUB_SWEEP_INTERVAL_S": "1"}
        # The operator's step (capactif members load): the credentials the partner is given.
        operator = Hub.from_settings(Settings.from_env(env), publisher=RecordingPublisher())
        load_network(operator, _network(tmp_path / "network.json", webhook_port), tmp_path / "creds")
        operator.close()
        fiche = make_fiche(member=OWNER, fiche_id="F-node-1")
        consent = example_submission(
            0, "", dt.datetime.now(dt.UTC), reference=fiche["consentement"]["reference"],
            membre=OWNER, fiche_id=fiche["fiche_id"], finalites=ALL_PURPOSES,
            roles_destinataires=ALL_ROLES)
        del consent["notice"]  # the partner cites the notice the hub registers for it
        config = tmp_path / "partner.json"
        config.write_text(json.dumps({
            "hub_url": f"http://127.0.0.1:{api_port}",
            "credentials": str(tmp_path / "creds" / f"{OWNER}.json"),
            "notice": {"texte": NOTICE_TEXT, "langue": "fr", "finalites": ALL_PURPOSES},
            "consent": consent, "fiche": fiche, "webhook_port": webhook_port, "wait_ms": 90000}))
        logs = tmp_path / "logs"
        with running([start_api(env, logs, api_port), start_worker(env, logs)]):
            done = subprocess.run([node, str(NODE_PARTNER), str(config)], capture_output=True,
                                  text=True, timeout=150, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["notice_status"], report["notice_read_status"]) == (201, 200)
    assert report["consent_status"] == 201
    assert report["push_status"] == 202 and report["push_results"][0]["status"] == "accepted"
    assert report["encoded_target_status"] == 422  # authenticated (raw target), then a malformed id
    [webhook] = [w for w in report["webhooks"] if w["verified"]]
    assert webhook["evenement"] == "created" and webhook["webhook_id"] == webhook["delivery_id"]
    assert not any(w["tampered"] for w in report["webhooks"])
