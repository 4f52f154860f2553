"""What a process of the hub forgets when a porteur or a fiche is erased.

Matching keeps identities in memory: normalised per `Hub` (`Hub.records`), opened from
the index per `Hub` (`Hub.identities`), and one field's value or one record per process
(`hub.domain.matching.caches`). The process that erases empties them all at once; a
worker, another process, learns of the erasure from the store at its next task (a
fiche to match, or the periodic sweep of the outbox) and empties its own.
"""

from __future__ import annotations

from hub.bootstrap import Hub
from hub.domain.matching.caches import forget_personal_values
from hub.store.uow import UnitOfWork


def forget_identities(hub: Hub) -> None:
    """Empty every memo of this process that holds a fiche's identity or one of its values."""
    hub.records.clear()
    hub.identities.clear()
    forget_personal_values(hub.matching_model.built())


def forget_if_erased(hub: Hub, uow: UnitOfWork) -> None:
    """The same, when the store has recorded an erasure since this process last looked."""
    if hub.erasures_seen.changed(uow.erasures.count()):
        forget_identities(hub)
