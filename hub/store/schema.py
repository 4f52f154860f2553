"""All tables of the hub on one MetaData: importing this module registers every
capability's table module (used by Alembic and by tests that compare the
migrations with the declared tables)."""

import hub.store.audit_tables
import hub.store.console_tables
import hub.store.delivery_tables  # deliveries, feed positions, subscriptions
import hub.store.erasure_tables
import hub.store.matching_tables  # blocking index, review queue, merges
import hub.store.ops_tables  # noqa: F401  (process heartbeats)
from consent.api import define_tables
from hub.store import meeting_tables, porteur_index_tables  # noqa: F401  (coordination)
from hub.store.tables import metadata

consent_tables = define_tables(metadata)  # the consent registry's tables

__all__ = ["metadata"]
