"""Property (hypothesis) over every member-facing path around the fiches: for random
pushes by several members about the same or different people, random consents,
withdrawals and erasures, no member learns the id of a fiche, or the id or reference of
a consent, under which it was never sent anything (its feed or webhooks, the porteur's
consents, a consent, its acknowledgements, an erasure's status)."""

from __future__ import annotations

import contextlib
import itertools
import json

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hub.errors import HubError
from hub.services.accounts.auth import Caller
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import consents, erasure
from hub.store.delivery_repository import DATA_EVENTS
from hub.store.delivery_tables import deliveries
from hub.store.tables import fiches
from tests.factories import ALL_ROLES, make_fiche, other_porteur, record_consents
from tests.integration.world import OWNER, THIERS

pytestmark = pytest.mark.integration

CALLERS = {c.member_id: c for c in (
    OWNER, THIERS, Caller("cci-thiers", "", "cci", "accompagnement"),
    Caller("pfil-livradois", "", "pfil", "financement"),
    Caller("pnr-livradois", "", "pnr", "coordination"))}
PUSHERS = ["commune-ambert", "commune-thiers", "cci-thiers", "pfil-livradois"]
_serial = itertools.count(1)

push = st.tuples(st.sampled_from(PUSHERS), st.sampled_from([0, 1]),
                 st.sets(st.sampled_from(ALL_ROLES), min_size=1),
                 st.sets(st.sampled_from(sorted(CALLERS)), max_size=2))
scenario = st.tuples(st.lists(push, min_size=2, max_size=3), st.booleans(), st.booleans())


def _push(hub, serial, index, pusher, person, roles, named):
    fiche = make_fiche(member=pusher, fiche_id=f"NK{serial:03d}Q{index}Z")
    if person:
        fiche["porteur"] = other_porteur(serial)
    fiche["accompagnement"][0]["structure"] = pusher
    terms = {"finalites": ["orientation", "accompagnement", "financement"],
             "roles_destinataires": sorted(roles)}
    if named:
        terms["membres_destinataires"] = sorted(named)
    consent = record_consents(hub, [fiche], **terms)[0]
    assert ingest.push_batch(hub, CALLERS[pusher], [fiche])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    return consent


def _learned(hub, member, receivers, every_consent, porteurs, erasures):
    caller = CALLERS[member]
    found = list(receivers[member].documents()) if member in receivers else \
        read_feed(hub, caller, 0, 500)["deliveries"]
    for ask, keys in ((consents.porteur_consents, porteurs),
                      (consents.read_consent, [c.id for c in every_consent]),
                      (consents.acknowledgements, [c.id for c in every_consent]),
                      (erasure.read_erasure, erasures)):
        for key in keys:
            try:
                found.append(ask(hub, caller, key))
            except HubError as refused:
                found.append(refused.to_dict())
    return json.dumps(found, ensure_ascii=False)


def _sent_to(hub):
    """(member, fiche id) pairs: what each member owns or was sent data of."""
    with hub.engine.connect() as conn:
        owned = {(m, f) for m, f in conn.execute(fiches.select().with_only_columns(
            fiches.c.member_id, fiches.c.fiche_id))}
        sent = {(r, f) for r, f in conn.execute(
            deliveries.join(fiches, deliveries.c.fiche_pk == fiches.c.id).select()
            .with_only_columns(deliveries.c.recipient_id, fiches.c.fiche_id)
            .where(deliveries.c.event.in_(DATA_EVENTS)))}
    return owned | sent, {f for _m, f in owned}


def test_no_member_learns_of_a_fiche_or_consent_it_was_never_sent_anything_under(network):
    hub, _clock, cci, pfil = network
    receivers = {"cci-thiers": cci, "pfil-livradois": pfil}
    every_consent, erasures = [], []

    @settings(max_examples=5, deadline=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=[HealthCheck.too_slow])
    @given(scenario)
    def check(drawn):
        pushes, withdraw, erase = drawn
        serial = next(_serial)
        made = [_push(hub, serial, i, *p) for i, p in enumerate(pushes)]
        every_consent.extend(made)
        if withdraw:
            consents.withdraw_consent(hub, CALLERS[made[0].member_id], made[0].id)
        if erase:
            with contextlib.suppress(HubError):  # the porteur was erased already
                erasures.append(erasure.request_erasure(
                    hub, CALLERS[made[-1].member_id], {"fiche_id": made[-1].fiche_id}
                )["effacement"])
        webhooks.dispatch_webhooks(hub)
        with hub.uow() as uow:
            porteurs = sorted({row.porteur_id for c in every_consent
                               if (row := uow.fiches.porteur_of(c.member_id, c.fiche_id))
                               and row.porteur_id})
        known, all_fiches = _sent_to(hub)
        for member in CALLERS:
            text = _learned(hub, member, receivers, every_consent, porteurs, erasures)
            for fiche_id in all_fiches:
                if (member, fiche_id) not in known:
                    assert fiche_id not in text, f"{member} learned of fiche {fiche_id}: " \
                        + text[max(0, text.find(fiche_id) - 600):text.find(fiche_id) + 60]
            for consent in every_consent:
                if (member, consent.fiche_id) not in known and member not in consent.members:
                    assert consent.id not in text, f"{member} learned of {consent.id}: " \
                        + text[max(0, text.find(consent.id) - 600):text.find(consent.id) + 60]

    check()
    assert len({c.member_id for c in every_consent}) > 1  # several members did push
