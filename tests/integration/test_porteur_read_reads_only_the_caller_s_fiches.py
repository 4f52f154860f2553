"""`GET /v1/porteurs/{id}` reads the porteur's fiches of the caller only, filtered by the
database: a 404 for a porteur held by others costs nothing of what they hold (before, every
member's fiche rows of the porteur were read and filtered afterwards). Both databases."""

from __future__ import annotations

import pytest

from hub.services.accounts.auth import Caller
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.factories import make_fiche, record_consents
from tests.integration.contract_world import OWNER, RECIPIENT
from tests.integration.statements import one_line, statements_sent

pytestmark = pytest.mark.integration


def _porteur_held_by_the_owner(contract) -> str:
    fiche = make_fiche(member=OWNER, fiche_id="F-1")
    record_consents(contract.hub, [fiche], roles_destinataires=["accueil"])
    assert ingest.push_batch(contract.hub, Caller(OWNER, "", "commune", "accueil"),
                             [fiche])["accepted"] == 1
    processing.process_outbox(contract.hub, contract.hub.publisher.published[-1])
    with contract.hub.uow() as uow:
        return uow.fiches.porteur_of(OWNER, "F-1").porteur_id


def test_a_porteur_held_by_others_is_read_for_the_caller_s_fiches_only(contract):
    porteur = _porteur_held_by_the_owner(contract)
    with statements_sent(where=lambda text: "FROM fiches" in text
                         and "fiches.porteur_id =" in text) as reads:
        answer = contract.call(RECIPIENT, "GET", f"/v1/porteurs/{porteur}")
    assert answer.status_code == 404, answer.text
    assert reads, "the porteur's fiches were not read"
    for statement, parameters in reads:
        assert "fiches.member_id =" in one_line(statement), statement
        assert RECIPIENT in repr(parameters), statement
