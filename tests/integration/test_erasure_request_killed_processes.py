"""A member's erasure request to the other owners, its process killed with SIGKILL right
after its transaction committed (before it answered), on SQLite and PostgreSQL: the
requests and their notices are on record, so the notice to each owner asked is tracked
too. It was tracked after the commit: a kill in between left the owner asked with a
notice no acknowledgement followed (its answer acknowledged nothing, the DPO's tracker
never listed it pending nor overdue)."""

from __future__ import annotations

import pytest

from consent.api import NoticeKind
from hub.services.privacy import erasure_requests
from tests.integration.test_erasure_killed_processes import erasure_killed_after_its_commit
from tests.integration.test_erasure_requests import own_fiche, push_as
from tests.integration.world import OWNER, THIERS, fiche

pytestmark = pytest.mark.integration


def test_a_request_killed_after_its_commit_has_its_notice_tracked_and_acknowledged(network):
    hub = network[0]
    push_as(hub, OWNER, fiche("F-1"))
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accueil", "accompagnement"])

    erasure_id = erasure_killed_after_its_commit(hub, "THIERS", "T-1")

    tracked = [(a.recipient_id, a.acknowledged_at) for a in hub.consents.acks(erasure_id)
               if a.kind == NoticeKind.ERASURE_REQUEST]
    assert tracked == [(OWNER.member_id, None)], "the owner's notice is not tracked"
    erasure_requests.answer_request(hub, OWNER, erasure_id, {
        "reponse": "refusee", "motif": "obligation_legale"})
    [ack] = [a for a in hub.consents.acks(erasure_id) if a.kind == NoticeKind.ERASURE_REQUEST]
    assert ack.acknowledged_at is not None, "answered, the notice is not acknowledged"
