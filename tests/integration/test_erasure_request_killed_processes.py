"""A member's erasure request to the other owners, its process killed with SIGKILL right
after its transaction committed (before it answered), on SQLite and PostgreSQL: the
requests and their notices are on record, so the notice to each owner asked is tracked
too. It was tracked after the commit: a kill in between left the owner asked with a
notice no acknowledgement followed (its answer acknowledged nothing, the DPO's tracker
never listed it pending nor overdue)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import sqlalchemy as sa

from consent.api import NoticeKind
from hub.services.privacy import erasure_requests
from hub.store.erasure_tables import erasures
from tests.integration.test_erasure_requests import own_fiche, push_as
from tests.integration.world import OWNER, THIERS, fiche

pytestmark = pytest.mark.integration

# commune-thiers's erasure request of T-1, killed as soon as its transaction committed
_KILLED_AFTER_COMMIT = """
import os, signal
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.privacy import erasure
from tests.integration.world import THIERS

def killed(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

erasure.forget_identities = killed  # the first step after the commit
erasure.request_erasure(Hub.from_settings(Settings.from_env()), THIERS, {"fiche_id": "T-1"})
"""


def _request_killed_after_its_commit(hub) -> str:
    env = {**os.environ, "HUB_DATA_DIR": str(hub.settings.data_dir),
           "HUB_DATABASE_URL": hub.settings.database_url.reveal()}
    killed = subprocess.run([sys.executable, "-c", _KILLED_AFTER_COMMIT], env=env,
                            capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")
    with hub.engine.connect() as conn:
        [erasure_id] = conn.execute(sa.select(erasures.c.id)).scalars()
    return erasure_id


def test_a_request_killed_after_its_commit_has_its_notice_tracked_and_acknowledged(network):
    hub = network[0]
    push_as(hub, OWNER, fiche("F-1"))
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accueil", "accompagnement"])

    erasure_id = _request_killed_after_its_commit(hub)

    tracked = [(a.recipient_id, a.acknowledged_at) for a in hub.consents.acks(erasure_id)
               if a.kind == NoticeKind.ERASURE_REQUEST]
    assert tracked == [(OWNER.member_id, None)], "the owner's notice is not tracked"
    erasure_requests.answer_request(hub, OWNER, erasure_id, {
        "reponse": "refusee", "motif": "obligation_legale"})
    [ack] = [a for a in hub.consents.acks(erasure_id) if a.kind == NoticeKind.ERASURE_REQUEST]
    assert ack.acknowledged_at is not None, "answered, the notice is not acknowledged"
