"""Operator actions: initialise the store and the hub key."""

from __future__ import annotations

from hub.config import Settings
from hub.store.migrate import upgrade


def initialise(settings: Settings) -> dict[str, int]:
    """Migrate the database to the latest schema, make sure the keys exist (in the key
    directory, outside the data directory), bring the keys of a former layout up to date
    and re-index the fiches indexed under other blocking rules than the settings'."""
    from hub.bootstrap import Hub
    from hub.services.delivery.publisher import NullPublisher
    from hub.services.matching.reindex import reindex_blocking
    from hub.services.privacy.key_rotation import upgrade_keys

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url.reveal())
    hub = Hub.from_settings(settings, publisher=NullPublisher())
    try:
        return {**upgrade_keys(hub), "index_reindexe": reindex_blocking(hub)}
    finally:
        hub.close()
