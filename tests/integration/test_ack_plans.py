"""The acknowledgements of withdrawal notices are found by their consent's id (migration
0044). The DPO's consents page reads a page of consents' acknowledgements (`acks_of`), a
member its consent's (`acks`): the table's only index started with the notice's kind, so
both read every acknowledgement the hub ever tracked (three or so a withdrawal, for good).
On both databases, a database never analysed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from tests.fakes.publisher import RecordingPublisher
from tests.integration.statements import query_plan, statements_sent

pytestmark = pytest.mark.integration

ACKS = 4000  # subjects with two acknowledgements each
RECIPIENTS = ("cci-puy-de-dome", "pfil-livradois-forez")


@pytest.fixture
def store(db_url, tmp_path) -> Iterator[Hub]:
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "data", database_url=db_url),
                            publisher=RecordingPublisher())
    rows = [{"kind": "withdrawal", "subject_id": f"cns_{n:05d}", "recipient_id": recipient,
             "sent_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "named": True}
            for n in range(ACKS) for recipient in RECIPIENTS]
    with hub.engine.begin() as conn:
        conn.execute(hub.consents._t.acks.insert(), rows)
    yield hub
    hub.close()


def _statement_of(hub: Hub, read) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    with statements_sent(hub.engine, lambda text: "FROM consent_notice_acks" in text) as sent:
        read()
    [found] = sent
    return found


def _reads_the_whole_table(hub: Hub, statement: str, parameters: object) -> bool:
    plan = query_plan(hub.engine, statement, parameters)
    return any(step.startswith("SCAN consent_notice_acks")
               or "Seq Scan on consent_notice_acks" in step for step in plan)


def test_a_page_of_consents_acknowledgements_is_read_by_index(store):
    page = [f"cns_{n:05d}" for n in range(100, 150)]
    found = store.consents.acks_of(page)
    assert all(len(found[subject]) == 2 for subject in page)
    statement, parameters = _statement_of(store, lambda: store.consents.acks_of(page))
    assert not _reads_the_whole_table(store, statement, parameters), statement


def test_one_consent_s_acknowledgements_are_read_by_index(store):
    assert [a.recipient_id for a in store.consents.acks("cns_00042")] == list(RECIPIENTS)
    statement, parameters = _statement_of(store, lambda: store.consents.acks("cns_00042"))
    assert not _reads_the_whole_table(store, statement, parameters), statement
