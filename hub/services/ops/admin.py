"""Operator actions: initialise the store and the hub key."""

from __future__ import annotations

import sqlalchemy as sa

from hub.config import Settings
from hub.errors import StoreUnavailable
from hub.store.migrate import upgrade


def initialise(settings: Settings) -> dict[str, int]:
    """Migrate the database to the latest schema, make sure the keys exist (in the key
    directory, outside the data directory), bring the keys of a former layout up to date
    and re-index the fiches indexed under other blocking rules than the settings' or whose
    record forms another normalisation wrote."""
    from hub.bootstrap import Hub
    from hub.services.delivery.publisher import NullPublisher
    from hub.services.matching.reindex import reindex_blocking, reindex_forms
    from hub.services.privacy.key_rotation import upgrade_keys

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(settings.database_url.reveal())
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise _unreachable(settings, exc) from exc
    hub = Hub.from_settings(settings, publisher=NullPublisher())
    try:
        return {**upgrade_keys(hub), "index_reindexe": reindex_blocking(hub),
                "formes_reecrites": reindex_forms(hub)}
    finally:
        hub.close()


def _unreachable(settings: Settings, exc: sa.exc.DBAPIError) -> StoreUnavailable:
    """The database at start, named without its password, and the driver's reason (the
    server's answer or the refused connection, which carry no secret)."""
    reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
    return StoreUnavailable(
        f"La base {settings.database_url} est injoignable ({reason}) : vérifiez "
        "HUB_DATABASE_URL et que le serveur tourne, puis relancez.",
        f"The database {settings.database_url} cannot be reached ({reason}): check "
        "HUB_DATABASE_URL and that the server runs, then start again.")
