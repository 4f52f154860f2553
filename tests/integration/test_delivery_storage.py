"""How PostgreSQL stores the deliveries: a row of a few kilobytes (a sealed projection)
stays whole in its table page, neither compressed (a sealed text never shrinks) nor moved
out to the TOAST table (migration 0025)."""

from __future__ import annotations

import base64
import os

import pytest
import sqlalchemy as sa
from alembic import command

from hub.store.migrate import alembic_config, upgrade
from tests.conftest import _drop_pg_database, _fresh_pg_database

pytestmark = pytest.mark.integration

_OPTIONS = sa.text("SELECT coalesce(reloptions, '{}') FROM pg_class WHERE relname = 'deliveries'")


@pytest.fixture
def pg_url(postgres_url):
    url = _fresh_pg_database(postgres_url)
    yield url
    _drop_pg_database(url)


def _options(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(_OPTIONS).scalar_one())
    finally:
        engine.dispose()


def test_on_postgresql_a_delivery_row_up_to_a_page_is_kept_whole(pg_url):
    assert _options(pg_url) == ["toast_tuple_target=8160"]


def test_the_downgrade_gives_deliveries_the_default_storage_back_and_the_upgrade_again(pg_url):
    command.downgrade(alembic_config(pg_url), "0024")
    assert _options(pg_url) == []
    upgrade(pg_url)
    assert _options(pg_url) == ["toast_tuple_target=8160"]


def test_a_delivery_of_three_kilobytes_writes_nothing_to_the_toast_table(pg_url):
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO members (id, name, kind, role, contact_email, territory, created_at, "
                "updated_at) VALUES ('m', 'M', 'pfil', 'financement', 'm@example.org', '[]', "
                "now(), now())"))
            conn.execute(sa.text(
                "INSERT INTO deliveries (recipient_id, position, event, porteur_id, purpose, "
                "policy_version, fields, payload, idempotency_key, channel, status, attempts, "
                "created_at) VALUES ('m', 1, 'created', 'p', 'financement', 'v1', '[]', "
                ":payload, 'k', 'feed', 'feed', 0, now())"),
                {"payload": base64.b64encode(os.urandom(2400)).decode()})  # sealed-like
            toast = conn.execute(sa.text(
                "SELECT pg_relation_size(reltoastrelid) FROM pg_class "
                "WHERE relname = 'deliveries'")).scalar_one()
    finally:
        engine.dispose()
    assert toast == 0
