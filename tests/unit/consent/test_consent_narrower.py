"""`takes_away`: whether a consent lets less move than the one before it (the consents in
force a restore must keep, hub.services.delivery.consent_journal); and a record written
for the journal reads back the same."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from capactif_demo.consent_examples import EXAMPLE_TIME, example_record
from consent.model import StateChange, Status, as_stored, from_stored, takes_away

WIDE = example_record(purposes=("orientation", "accompagnement"),
                      roles=("accueil", "accompagnement"))


@pytest.mark.parametrize(("after", "narrower"), [
    (example_record(purposes=("orientation",), roles=("accueil", "accompagnement")), True),
    (example_record(purposes=("orientation", "accompagnement"), roles=("accueil",)), True),
    (example_record(purposes=("orientation", "accompagnement"),
                    roles=("accueil", "accompagnement"), members=("cci-thiers",)), True),
    (dataclasses.replace(WIDE, expires_at=WIDE.expires_at - dt.timedelta(days=1)), True),
    (WIDE, False),
    (example_record(purposes=("orientation", "accompagnement", "financement"),
                    roles=("accueil", "accompagnement", "financement")), False),
    (dataclasses.replace(WIDE, expires_at=WIDE.expires_at + dt.timedelta(days=1)), False),
], ids=["purpose left out", "role left out", "recipients named", "earlier end", "the same",
        "wider", "later end"])
def test_a_consent_takes_away_what_it_no_longer_lets_move(after, narrower):
    assert takes_away(WIDE, after) is narrower


def test_fewer_named_recipients_take_away_more_take_nothing():
    named = dataclasses.replace(WIDE, members=frozenset({"cci-thiers", "pfil-est"}))
    assert takes_away(named, dataclasses.replace(WIDE, members=frozenset({"cci-thiers"})))
    assert not takes_away(named, dataclasses.replace(WIDE, members=frozenset()))


def test_a_record_reads_back_as_it_was_written_history_included():
    record = example_record(members=("cci-thiers",), history=(
        StateChange(Status.WITHDRAWN, EXAMPLE_TIME + dt.timedelta(days=3), "hub"),))
    assert from_stored(as_stored(record)) == record
