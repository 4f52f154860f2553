"""A client generated from the hub's own OpenAPI document (openapi-python-client)
compiles and pushes a fiche to a real hub process (uvicorn on PostgreSQL and Redis),
its requests signed per RFC 9421 by an httpx event hook."""

from __future__ import annotations

import compileall
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from capactif_demo.processes import free_port, running, start_api
from connectors.http_signatures import sign_request_rfc9421
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.factories import Credentials, make_fiche, make_network, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.scale import scale_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]
MEMBER = "cci-puy-de-dome"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


def _generate(document: dict, folder: Path) -> None:
    (folder / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    (folder / "config.yml").write_text("post_hooks: []\n", encoding="utf-8")
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--meta", "none", "--output-path",
         "capactif_client", "--config", "config.yml", "--fail-on-warning"],
        cwd=folder, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert compileall.compile_dir(folder / "capactif_client", quiet=1)


def _signer(creds: Credentials):
    def sign(request) -> None:
        target = request.url.raw_path.decode("ascii")
        request.headers.update(sign_request_rfc9421(
            creds.private_key, creds.member_id, request.method, target, request.content))
    return sign


def test_a_generated_client_compiles_and_pushes_a_fiche_to_a_real_hub(tmp_path, postgres_url, monkeypatch):
    with scale_store(postgres_url) as store:
        port = free_port()
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_PORT": str(port)}
        observer = Hub.from_settings(Settings.from_env(env), publisher=RecordingPublisher())
        load_network(observer, make_network(tmp_path / "network.json", [MEMBER]), tmp_path / "creds")
        creds = Credentials(tmp_path / "creds" / f"{MEMBER}.json")
        fiche = make_fiche(fiche_id="F-generated")
        record_consents(observer, [fiche])
        with running([start_api(env, tmp_path / "logs", port)]):
            base = f"http://127.0.0.1:{port}"
            _generate(requests.get(f"{base}/openapi.json", timeout=30).json(), tmp_path)
            monkeypatch.syspath_prepend(str(tmp_path))
            client_module = importlib.import_module("capactif_client")
            push = importlib.import_module("capactif_client.api.fiches.push_fiches")
            body = importlib.import_module("capactif_client.models.push_fiches_body")
            client = client_module.AuthenticatedClient(
                base_url=base, token=creds.token,
                httpx_args={"event_hooks": {"request": [_signer(creds)]}})
            with client:
                answer = push.sync_detailed(client=client, body=body.PushFichesBody.from_dict(
                    {"fiches": [fiche]}))
                read = importlib.import_module("capactif_client.api.fiches.read_fiche")
                again = read.sync(MEMBER, "F-generated", client=client)
        observer.close()
    assert answer.status_code == 202, answer.content
    result = answer.parsed.results[0]
    assert result.status.value == "accepted" and result.receipt.fiche_id == "F-generated"
    assert again.fiche_id == "F-generated" and again.version == 1


def test_a_generated_client_types_the_erasure_body_as_one_of_its_two_forms(hub, tmp_path):
    """The erasure body is a fiche's (`fiche_id`) or the coordination's (`porteur_id`):
    the generated client offers the two as typed models, and sends what either gives.
    A oneOf of bare `required` lists gave it an untyped body (`Any`)."""
    from hub.api.app import create_app

    _generate(create_app(hub=hub).openapi(), tmp_path)
    source = (tmp_path / "capactif_client" / "api" / "effacements" / "request_erasure.py").read_text()
    assert "body: ErasureByFiche | ErasureByPorteur," in source, source
    sys.path.insert(0, str(tmp_path))
    try:
        models = importlib.import_module("capactif_client.models")
        by_fiche = models.ErasureByFiche.from_dict({"fiche_id": "F-1", "reference": "DEM-1"})
        assert by_fiche.to_dict() == {"fiche_id": "F-1", "reference": "DEM-1"}
        assert models.ErasureByPorteur(porteur_id="prt_1").to_dict() == {"porteur_id": "prt_1"}
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.split(".")[0] == "capactif_client"]:
            del sys.modules[name]
