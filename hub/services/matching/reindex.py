"""Keep the blocking index built with the blocking rules of the matching settings, and
its record forms written by the hub's normalisation.

The index records, as store markers, the fingerprint of the rule set its fiches were
indexed with and of how their keys are stored (`index_fingerprint`), and the version of
the normalisation that wrote their record forms (`FORM_VERSION`). When the settings name
other rules, the fiches indexed before are re-indexed under the new rules; when the
normalisation changed (or the forms were never written: fiches indexed before they
existed), every fiche's form is written again from its identity, so candidates are never
compared in a stale form. Both run in chunks, each in its own transaction with the
progress (last fiche done, and the target it works towards), so an interrupted run
resumes where it stopped. Each chunk holds the key file's lock, as erasures do: an
erased fiche (its key destroyed, its index entries forgotten) is never read, so never
re-indexed. Only counts are reported, never a key or a name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.bootstrap import Hub
from hub.domain.matching.record import normalise_record
from hub.domain.matching.record_form import FORM_VERSION
from hub.services.matching.index_markers import FORMS_MARKER, RULES_MARKER, index_fingerprint
from hub.services.matching.online import index_digests, matching_model
from hub.store.uow import UnitOfWork

_CHUNK = 1000
Rewrite = Callable[[UnitOfWork, list[tuple[int, dict[str, Any]]]], None]


def reindex_blocking(hub: Hub, chunk: int = _CHUNK, max_chunks: int | None = None) -> int:
    """Re-index the fiches indexed under another rule set than the settings' (run by
    `capactif init`, so by `serve` and `worker`); answers how many this run re-indexed."""
    rules = matching_model(hub).settings.blocking.rules
    return rebuild_digests(hub, RULES_MARKER, index_fingerprint(rules), chunk, max_chunks)


def reindex_forms(hub: Hub, chunk: int = _CHUNK, max_chunks: int | None = None) -> int:
    """Write every indexed fiche's record form again, unless the store says they were
    written by this normalisation (`FORM_VERSION`); run by `capactif init`. Answers how
    many this run rewrote."""
    def rewrite(uow: UnitOfWork, records: list[tuple[int, dict[str, Any]]]) -> None:
        uow.matching.replace_forms({pk: normalise_record(identity) for pk, identity in records})

    return _rebuild(hub, FORMS_MARKER, f"v{FORM_VERSION}", rewrite, chunk, max_chunks)


def rebuild_digests(hub: Hub, marker: str, target: str, chunk: int = _CHUNK,
                    max_chunks: int | None = None) -> int:
    """Recompute every indexed fiche's blocking digests from its sealed identity, unless
    the store's `marker` already says `target`; resumable (`max_chunks`: stop after as
    many transactions, as an interruption would)."""
    model = matching_model(hub)

    def rewrite(uow: UnitOfWork, records: list[tuple[int, dict[str, Any]]]) -> None:
        uow.matching.replace_digests({
            pk: index_digests(uow, identity, model) for pk, identity in records})

    return _rebuild(hub, marker, target, rewrite, chunk, max_chunks)


def _rebuild(hub: Hub, marker: str, target: str, rewrite: Rewrite, chunk: int,
             max_chunks: int | None) -> int:
    """`rewrite` every indexed fiche, `chunk` at a time, unless the store's `marker`
    already says `target`; resumable. Answers how many fiches this run rewrote."""
    rebuilt, steps = 0, 0
    while max_chunks is None or steps < max_chunks:
        with hub.keyring.locked(), hub.uow() as uow:
            if uow.markers.get(marker) == target:
                return rebuilt
            resumed = uow.markers.get(f"{marker}_target") == target
            after = int(uow.markers.get(f"{marker}_after") or 0) if resumed else 0
            last, records = uow.matching.records_after(after, chunk)
            rewrite(uow, records)
            if last is None:
                uow.markers.set(marker, target)
            uow.markers.set(f"{marker}_target", target)
            uow.markers.set(f"{marker}_after", str(last or 0))
            uow.commit()
        rebuilt, steps = rebuilt + len(records), steps + 1
    return rebuilt
