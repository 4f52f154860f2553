"""Keep the blocking index built with the blocking rules of the matching settings.

The index records, as a store marker, the fingerprint of the rule set its fiches were
indexed with (`rules_fingerprint`). When the settings name other rules, the fiches
indexed before are re-indexed under the new rules: in chunks, each in its own
transaction with the progress (last fiche done, and the fingerprint it works towards),
so an interrupted run resumes where it stopped. Each chunk holds the key file's lock,
as erasures do: an erased fiche (its key destroyed, its index entries forgotten) is
never read, so never re-indexed. Only counts are reported, never a key or a name.
"""

from __future__ import annotations

from hub.bootstrap import Hub
from hub.domain.matching.blocking import rules_fingerprint
from hub.services.matching.online import index_digests, matching_model

RULES_MARKER = "blocking_rules"
_CHUNK = 1000


def reindex_blocking(hub: Hub, chunk: int = _CHUNK, max_chunks: int | None = None) -> int:
    """Re-index the fiches indexed under another rule set than the settings' (run by
    `capactif init`, so by `serve` and `worker`); answers how many this run re-indexed."""
    rules = matching_model(hub).settings.blocking.rules
    return rebuild_digests(hub, RULES_MARKER, rules_fingerprint(rules), chunk, max_chunks)


def rebuild_digests(hub: Hub, marker: str, target: str, chunk: int = _CHUNK,
                    max_chunks: int | None = None) -> int:
    """Recompute every indexed fiche's blocking digests from its sealed identity, unless
    the store's `marker` already says `target`; resumable (`max_chunks`: stop after as
    many transactions, as an interruption would)."""
    model, rebuilt, steps = matching_model(hub), 0, 0
    while max_chunks is None or steps < max_chunks:
        with hub.keyring.locked(), hub.uow() as uow:
            if uow.markers.get(marker) == target:
                return rebuilt
            resumed = uow.markers.get(f"{marker}_target") == target
            after = int(uow.markers.get(f"{marker}_after") or 0) if resumed else 0
            last, records = uow.matching.records_after(after, chunk)
            uow.matching.replace_digests({
                pk: index_digests(uow, identity, model) for pk, identity in records})
            if last is None:
                uow.markers.set(marker, target)
            uow.markers.set(f"{marker}_target", target)
            uow.markers.set(f"{marker}_after", str(last or 0))
            uow.commit()
        rebuilt, steps = rebuilt + len(records), steps + 1
    return rebuilt

