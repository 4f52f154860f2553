"""A small network on a real database with real HTTP recipients: the owner (accueil),
two members with webhooks (accompagnement, financement), one reading its feed."""

from __future__ import annotations

import json

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.factories import Clock, make_fiche, record_consents, stage_of
from tests.fakes.publisher import RecordingPublisher
from tests.receiver import Recipient

OWNER = Caller("commune-ambert", "Mairie", "commune", "accueil")
THIERS = Caller("commune-thiers", "Mairie", "commune", "accueil")
AMBERT = "63003"
# Sending in these tests runs in the test's own process: a lease long enough that a
# loaded machine stalling the lease's heartbeat for a few seconds never cuts a POST off
# (the lease's expiry and renewal are tested with real processes and short leases in
# test_webhook_leases_processes.py).
IN_PROCESS_LEASE_S = 60.0
# SQLite writers of one test take turns (the sending run, its lease's heartbeat): on a
# machine loaded to 12, one turn was seen waiting over the default 10 s. Turns that
# time out are tested where that is the point (test_sqlite_writer_turns and the
# paused-process tests).
IN_PROCESS_LOCK_TIMEOUT_S = 30.0


@pytest.fixture
def network(db_url, tmp_path):
    """The owner (accueil), two members with webhooks (accompagnement, financement) and
    one without (feed), all subscribed to Ambert; and the network's coordination."""
    yield from network_world(db_url, tmp_path)


def network_world(db_url, tmp_path, *, cci_subscribed=True, extra_members=(),
                  **settings_overrides):
    """`network`, the CCI subscribed to nothing unless `cci_subscribed`, with
    `extra_members` ((id, kind, role) each, reading their feed, subscribed to Ambert);
    the hub's settings with `settings_overrides`."""
    with Recipient() as cci, Recipient() as pfil:
        members = [
            _member("commune-ambert", "commune", "accueil"),
            _member("cci-thiers", "cci", "accompagnement", cci.url, cci_subscribed),
            _member("pfil-livradois", "pfil", "financement", pfil.url),
            _member("commune-thiers", "commune", "accueil"),
            _member("pnr-livradois", "pnr", "coordination", subscribed=False),
            *(_member(member_id, kind, role) for member_id, kind, role in extra_members),
        ]
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "test", "membres": members}))
        clock = Clock()
        settings = Settings(data_dir=tmp_path / "data", database_url=db_url,
                            webhook_retry_base_s=1, webhook_give_up_after_s=3600,
                            **{"webhook_lease_s": IN_PROCESS_LEASE_S,
                               "database_lock_timeout_s": IN_PROCESS_LOCK_TIMEOUT_S,
                               **settings_overrides})
        hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=clock)
        load_network(hub, tmp_path / "network.json", tmp_path / "creds")
        yield hub, clock, cci, pfil
        hub.close()


def _member(member_id, kind, role, webhook=None, subscribed=True):
    member = {"id": member_id, "nom": member_id, "nature": kind, "role": role,
              "contact": {"courriel": f"{member_id}@exemple.fr"},
              "abonnements": [{"communes": [AMBERT]}] if subscribed else []}
    if webhook:
        member["webhook"] = webhook
    return member


def push_and_process(hub, *fiches, **consent_terms):
    record_consents(hub, list(fiches), **consent_terms)
    answer = ingest.push_batch(hub, OWNER, list(fiches))
    assert answer["accepted"] == len(fiches), answer
    processing.process_outbox(hub, hub.publisher.published[-1])


def fiche(fiche_id="F-1", version=1, **changes):
    document = make_fiche(member=OWNER.member_id, fiche_id=fiche_id, version=version, **changes)
    document["accompagnement"][0]["structure"] = OWNER.member_id
    document["accompagnement"][0]["notes"] = "NOTE-LIBRE-CONFIDENTIELLE"
    if "projet" not in changes:
        document["projet"]["stade"] = stage_of(version)  # a version others see change
    return document
