"""An erasure whose process is killed with SIGKILL right after its transaction committed
(before it answered), on SQLite and PostgreSQL: the erasure is done, so its access event
and the notices it sent must be on record too. They were written after the commit, one
by one: the access log then had no `erasure` event, and the members notified could not
acknowledge (« notice never sent ») nor the requester see who was told."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.errors import DataErased
from hub.services.accounts.auth import Caller
from hub.services.delivery import webhooks
from hub.services.ingest.fiches import read_own_fiche
from hub.services.privacy import erasure
from hub.store.erasure_tables import erasures
from tests.integration.killed import run_killed
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration

CCI = Caller("cci-thiers", "CCI", "cci", "accompagnement")

# an erasure request (argv: the member of tests.integration.world, one of its fiches),
# its process killed as soon as its transaction committed
KILLED_AFTER_COMMIT = """
import os, signal, sys
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.privacy import erasure
from tests.integration import world

def killed(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

erasure.forget_identities = killed  # the first step after the commit
erasure.request_erasure(Hub.from_settings(Settings.from_env()), getattr(world, sys.argv[1]),
                        {"fiche_id": sys.argv[2]})
"""


def erasure_killed_after_its_commit(hub, member: str = "OWNER", fiche_id: str = "F-1") -> str:
    """The erasure's id (the only one in the store)."""
    run_killed(hub, KILLED_AFTER_COMMIT, member, fiche_id)
    with hub.engine.connect() as conn:
        [erasure_id] = conn.execute(sa.select(erasures.c.id)).scalars()
    return erasure_id


def test_an_erasure_killed_after_its_commit_has_its_event_and_its_notices(network):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)

    erasure_id = erasure_killed_after_its_commit(hub)

    with pytest.raises(DataErased):
        read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")
    assert len(hub.audit.search(action="erasure", limit=10)) == 1, "no erasure event"
    told = {a["membre"] for a in erasure.read_erasure(hub, OWNER, erasure_id)["avis"]}
    assert told == {"cci-thiers", "commune-thiers", "pfil-livradois"}
    assert erasure.acknowledge(hub, CCI, erasure_id)["statut"] == "acknowledged"
