"""All tables of the hub on one MetaData: importing this module registers every
capability's table module (used by Alembic and by tests that compare the
migrations with the declared tables)."""

from hub.store.tables import metadata

__all__ = ["metadata"]
