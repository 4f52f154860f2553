"""A consent withdrawal (or the periodic expiry) whose process is killed with SIGKILL as
soon as the consent's state row is written, on SQLite and PostgreSQL: either nothing
happened (the member asks again and it goes as a first withdrawal would), or the
withdrawal and all it entails did (what had not left cancelled, a notice to every member
sent data). The state row was committed on its own, then the notices in a second
transaction: a kill in between left a consent withdrawn whose recipients were never told
to delete the data, an update still queued for them, and a second request refused as
already withdrawn; an expiry killed so was never told, the next run seeing the consent
expired already."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hub.services.delivery import webhooks
from hub.services.privacy import consents
from hub.store.delivery_tables import deliveries
from tests.factories import record_consents
from tests.integration.killed import run_killed
from tests.integration.world import OWNER, THIERS, fiche, push_and_process

pytestmark = pytest.mark.integration

# `withdraw CONSENT` (by the owner) or `expire` (the periodic expiry a year and a day
# on), the process killed as soon as the first state row is written
_KILLED_AFTER_STATE = """
import datetime as dt, os, signal, sys
from consent import sql
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.privacy import consents
from tests.integration.world import OWNER

written = sql.SqlConsentRegistry._append_state

def append_state(self, *args, **kwargs):
    done = written(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return done

sql.SqlConsentRegistry._append_state = append_state
if sys.argv[1] == "withdraw":
    consents.withdraw_consent(Hub.from_settings(Settings.from_env()), OWNER, sys.argv[2])
else:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=366)
    consents.expire_due(Hub.from_settings(Settings.from_env(), clock=lambda: later))
"""


def _killed_after_state(hub, *args: str) -> None:
    run_killed(hub, _KILLED_AFTER_STATE, *args)


def _withdrawal_notices(hub) -> set[str]:
    with hub.engine.connect() as conn:
        return set(conn.execute(sa.select(deliveries.c.recipient_id).where(
            deliveries.c.event == "withdrawn")).scalars())


def test_a_withdrawal_killed_midway_is_all_or_nothing_and_can_be_asked_again(network):
    hub, _clock, cci, pfil = network
    record = record_consents(hub, [fiche()])[0]
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    pfil.status = 503  # the update stays queued for the PFIL
    push_and_process(hub, fiche(version=2, projet={**fiche()["projet"], "stade": "installe"}))
    webhooks.dispatch_webhooks(hub)
    recipients = {"cci-thiers", "commune-thiers", "pfil-livradois"}

    _killed_after_state(hub, "withdraw", record.id)

    withdrawn = hub.consents.get(record.id).withdrawn
    assert _withdrawal_notices(hub) == (recipients if withdrawn else set()), \
        f"withdrawn={withdrawn} but notices to {sorted(_withdrawal_notices(hub))}"
    if not withdrawn:  # nothing happened: asked again, it goes as a first one would
        answer = consents.withdraw_consent(hub, OWNER, record.id)
        assert set(answer["avis_envoyes"]) == recipients
    pfil.status = 200
    webhooks.dispatch_webhooks(hub)
    assert [d["evenement"] for d in pfil.documents()] == ["created", "withdrawn"]
    assert [d["evenement"] for d in cci.documents()][-1] == "withdrawn"
    assert consents.acknowledge_notice(hub, THIERS, record.id)["statut"] == "acknowledged"


def test_an_expiry_killed_midway_still_tells_every_recipient(network):
    hub, clock, _cci, _pfil = network
    push_and_process(hub, fiche("F-1"), fiche("F-2"))
    webhooks.dispatch_webhooks(hub)
    _killed_after_state(hub, "expire")

    clock.now = dt.datetime.now(dt.UTC) + dt.timedelta(days=367)
    consents.expire_due(hub)  # the next run of the periodic task

    for fiche_id in ("F-1", "F-2"):
        [record] = hub.consents.for_porteur([(OWNER.member_id, fiche_id)])
        told = {a.recipient_id for a in hub.consents.acks(record.id)}
        assert any(c.state.value == "expired" for c in record.history), fiche_id
        assert {"cci-thiers", "pfil-livradois"} <= told, f"{fiche_id}: told {sorted(told)}"
