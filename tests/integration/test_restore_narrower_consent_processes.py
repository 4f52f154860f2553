"""A narrower consent through the API, between `capactif backup` and `capactif restore`
run as real processes, on both databases: the porteur's new consent leaves the support
role out, the fiche's new version cites it. The restore's JSON answer lists the consent
made again the one in force, and the restored API, signed calls as partners make them,
no longer shows the support member the fiche, in its feed or its view of the porteur.
Before, the copy's consent, open to every role, was in force again: both showed it."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest import processing
from tests.factories import make_fiche
from tests.fakes.publisher import RecordingPublisher
from tests.integration.contract_world import OWNER, RECIPIENT, ContractWorld, network_document
from tests.integration.test_restore_member_standing_processes import _capactif

pytestmark = pytest.mark.integration


@contextmanager
def _served(db_url: str, tmp_path: Path) -> Iterator[ContractWorld]:
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url),
                            publisher=RecordingPublisher())
    try:
        with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
            yield ContractWorld(hub, client, tmp_path / "creds")
    finally:
        hub.close()


def _give(world: ContractWorld, version: int, reference: str, roles: list[str]) -> str:
    """The porteur's consent `reference` (for `roles`), then version `version` of F-1
    citing it, pushed and processed: the consent's id."""
    notice, digest = world.hub.consents.store_notice(NOTICE_TEXT)
    submission = example_submission(
        notice, digest, dt.datetime.now(dt.UTC), membre=OWNER, fiche_id="F-1",
        reference=reference, finalites=["orientation", "accompagnement"],
        roles_destinataires=roles)
    answer = world.call(OWNER, "POST", "/v1/consents", submission)
    assert answer.status_code == 201, answer.text
    fiche = make_fiche(member=OWNER, fiche_id="F-1", version=version)
    fiche["consentement"] = {"reference": reference}
    fiche["projet"]["stade"] = ("idee", "montage")[version - 1]
    pushed = world.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]})
    assert pushed.json()["accepted"] == 1, pushed.text
    processing.process_outbox(world.hub, world.hub.publisher.published[-1])
    return answer.json()["id"]


def _shown(world: ContractWorld) -> tuple[list[int], list[int]]:
    """The versions of F-1 the support member is served: (its feed, its porteur view)."""
    feed = world.call(RECIPIENT, "GET", "/v1/feed?after=0").json()["deliveries"]
    porteur_id = feed[0]["porteur_id"]
    view = world.call(RECIPIENT, "GET", f"/v1/porteurs/{porteur_id}").json()["livraisons"]
    return ([d["source"]["version"] for d in feed if d.get("fiche") and not d.get("retire")],
            [d["source"]["version"] for d in view if d.get("fiche") and not d.get("retire")])


def test_a_consent_narrowed_through_the_api_stays_in_force_after_capactif_restore(
        db_url, tmp_path):
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "d"), "HUB_DATABASE_URL": db_url}
    (tmp_path / "network.json").write_text(json.dumps(network_document()))
    with _served(db_url, tmp_path) as world:
        load_network(world.hub, tmp_path / "network.json", tmp_path / "creds")
        _give(world, 1, "CST-F-1", ["accueil", "accompagnement", "coordination"])
        assert _shown(world) == ([1], [1])
    _capactif(env, "backup", "--output", str(tmp_path / "sauvegarde"))
    with _served(db_url, tmp_path) as world:
        narrower = _give(world, 2, "CST-F-1-etroit", ["accueil", "coordination"])
        assert _shown(world) == ([], [])

    restored = json.loads(_capactif(env, "restore", str(tmp_path / "sauvegarde")).stdout)

    assert restored["consents_narrowed_replayed"] == [narrower]
    with _served(db_url, tmp_path) as world:
        assert _shown(world) == ([], [])
        assert world.call(OWNER, "GET", f"/v1/consents/{narrower}").json()[
            "roles_destinataires"] == ["accueil", "coordination"]
