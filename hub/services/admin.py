"""Operator actions: initialise the store and the hub key."""

from __future__ import annotations

from hub.config import Settings
from hub.keys import HubKey
from hub.store.migrate import upgrade


def initialise(settings: Settings) -> None:
    """Migrate the database to the latest schema and make sure the hub key exists."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    HubKey.load_or_create(settings.key_dir)
