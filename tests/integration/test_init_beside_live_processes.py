"""`init` (and `serve`, `worker`, which run it at start) does not migrate a store while a
hub process beats on it: workers of the release before, left running, would keep working
under the old scheme beside the new ones (before 0034 the key locks were advisory locks,
after it row locks: neither sees the other's, and one person's fiches were split over two
porteurs). The operator stops them first; a process stopped cleanly withdraws its beat,
one killed ages out after three intervals."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from hub.bootstrap import utc_now
from hub.errors import ConfigurationError
from hub.services.ops.admin import initialise
from hub.store.migrate import alembic_config, migrations_current
from hub.store.ops_repository import OpsQueries
from hub.store.ops_tables import process_heartbeats

pytestmark = pytest.mark.integration


def _beat(hub, *, ago: dt.timedelta) -> None:
    with hub.engine.begin() as conn:
        OpsQueries(conn).beat(kind="worker", host="ancien-serveur", pid=4242,
                              now=utc_now() - ago)


def _current(hub) -> bool:
    with hub.engine.connect() as conn:
        return migrations_current(conn)


def test_init_refuses_to_migrate_while_a_worker_of_the_release_before_beats(network):
    hub = network[0]
    config = alembic_config(hub.settings.database_url.reveal())
    command.downgrade(config, "0033")
    _beat(hub, ago=dt.timedelta(seconds=1))

    with pytest.raises(ConfigurationError) as refused:
        initialise(hub.settings)

    assert "1 hub process" in refused.value.message_en and "stop" in refused.value.message_en
    assert not _current(hub)
    with hub.engine.connect() as conn:
        assert not sa.inspect(conn).has_table("match_lock_stripes")


def test_init_migrates_once_the_beat_is_older_than_three_intervals(network):
    hub = network[0]
    config = alembic_config(hub.settings.database_url.reveal())
    command.downgrade(config, "0033")
    _beat(hub, ago=dt.timedelta(seconds=3 * hub.settings.heartbeat_interval_s + 60))

    initialise(hub.settings)

    assert _current(hub)


def test_a_current_store_starts_beside_live_workers(network):
    """Nothing to migrate: a worker or API of this release starts beside those running."""
    hub = network[0]
    _beat(hub, ago=dt.timedelta(seconds=1))
    initialise(hub.settings)
    assert _current(hub)
    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(process_heartbeats)
                            ).scalar_one() == 1
