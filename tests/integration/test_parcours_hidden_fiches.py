"""The coordination's parcours page tells nothing of a porteur's fiches it may not see:
not how many there are, so that it reads the same whether such a fiche is kept under a
consent leaving the coordination out, its consent withdrawn, or erased at the porteur's
request (a count that dropped at the erasure told an erasure from a withdrawal). Real
HTTP (the console), both databases."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.services.privacy import consents, erasure
from tests.console_world import build_world, console_hub
from tests.factories import Clock, record_consents
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    NOT_FOR_COORDINATION,
    fiche_of,
    porteur_of,
    push,
)
from tests.integration.test_console import sign_in
from tests.integration.test_online_chains import BOTH

pytestmark = pytest.mark.integration


@pytest.fixture
def world(db_url, tmp_path):
    hub = console_hub(db_url, tmp_path, Clock())
    build_world(hub, tmp_path)
    with TestClient(create_app(hub=hub), base_url="http://127.0.0.1") as client:
        yield hub, client
    hub.close()


def _page(client, porteur: str) -> str:
    page = client.get(f"/console/coordination/porteurs/{porteur}")
    assert page.status_code == 200
    return re.sub(r'name="csrf" value="[^"]*"', "", page.text)


def test_the_parcours_reads_the_same_whether_a_hidden_fiche_is_kept_withdrawn_or_erased(world):
    hub, client = world
    push(hub, CCI, fiche_of(CCI, "C-7", BOTH))
    hidden = fiche_of(COMMUNE, "A-7", BOTH)
    hidden["accompagnement"] = [{"structure": COMMUNE.member_id, "date": "2026-10-01",
                                 "type": "accueil"}]
    [consent] = record_consents(hub, [hidden], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, hidden, consent=False)
    porteur = porteur_of(hub, CCI, "C-7")
    assert porteur_of(hub, COMMUNE, "A-7") == porteur
    sign_in(client, "coord")
    kept = _page(client, porteur)
    assert "KERBRAT" in kept  # the fiche the coordination sees
    consents.withdraw_consent(hub, COMMUNE, consent.id)
    withdrawn = _page(client, porteur)
    erasure.request_erasure(hub, COMMUNE, {"fiche_id": "A-7"})
    erased = _page(client, porteur)
    assert kept == withdrawn == erased
