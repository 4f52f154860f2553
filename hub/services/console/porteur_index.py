"""Keep the coordination's index of porteurs (`hub.store.porteur_index_tables`) in step
with the fiches: each page of the coordination first refreshes the porteurs whose
fiches, links (new, merged, separated), consents (given, withdrawn, expired) or
erasures changed since the index last looked, then pages, filters and sorts in the
database. The first call (or a new field policy, another console member, or a new form of
the search terms, `TERMS_VERSION`) rebuilds the whole index.

What is indexed is what the projection lets the coordination see: a porteur whose
fiches the coordination may not see has no row; search terms come only from the
identity fields the coordination is shown, stored as keyed digests (HMAC-SHA256 under
a key derived from the hub's data master key), never in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from hub.bootstrap import Hub
from hub.domain.search_terms import TERMS_VERSION, porteur_terms
from hub.services.accounts.members import list_members
from hub.services.accounts.sessions import console_member
from hub.services.console.parcours import Parcours, parcours_from
from hub.services.console.porteur_figures import Figures, figures_of

CLOSED_STAGES = frozenset({"installe", "post_creation", "abandonne"})
COORDINATION, DPO = "coordination", "dpo"
_BATCH = 500


def refresh(hub: Hub) -> int:
    """Bring the index up to date; returns how many porteurs were re-read.

    Batch by batch, the fiches are read with no lock held, then the batch's rows are
    written and committed under the marks row's lock: an erasure (which takes that lock
    too) waits for one batch at most, never for a whole rebuild. The marks are saved
    after the last batch, so a refresh cut off midway is done again by the next one. A
    refresh racing another may write an older state: each of its batches takes the saved
    marks back to its own, so the next refresh reads those porteurs again."""
    now, member = hub.clock(), console_member(hub)
    built_for = f"{member}|{hub.policy.current.version}|t{TERMS_VERSION}"[:120]
    with hub.uow() as uow:
        marks = uow.porteur_index.marks()
        positions = uow.porteur_index.positions(now)
        rebuild = marks is None or marks.built_for != built_for
        touched = uow.porteur_index.every_porteur() if rebuild or marks is None else \
            sorted(uow.porteur_index.touched(marks, now))
    if not touched and not rebuild:
        return 0
    try:
        mine = {**positions, "checked_at": now}
        for start in range(0, len(touched), _BATCH):
            _refresh_batch(hub, member, touched[start:start + _BATCH], now, (built_for, mine))
        with hub.uow() as uow:
            uow.porteur_index.marks(lock=True)
            uow.porteur_index.save_marks({**positions, "checked_at": now,
                                          "built_for": built_for})
            uow.commit()
    except IntegrityError:  # another first build won the race: it did the same work
        return 0
    return len(touched)


def _refresh_batch(hub: Hub, member: str, batch: Sequence[str], now: dt.datetime,
                   marks: tuple[str, dict[str, Any]]) -> None:
    """Read `batch` with no lock held, then write its rows in one transaction under the
    marks row's lock. An erasure committed since the read (it takes this lock too) wins:
    what was read of its porteurs is not written back; the next refresh reads them again.
    The saved marks are taken back to this refresh's own (`marks`: built for, positions)
    where another refresh saved newer ones meanwhile: never newer than a row committed,
    so a refresh cut off after this batch leaves what it wrote to be read again."""
    with hub.uow() as uow:
        erasures = uow.porteur_index.erasures_of(batch)
    found, figures = _read(hub, member, batch)
    with hub.uow() as uow:
        saved = uow.porteur_index.marks(lock=True)
        _hold_back(uow, saved, *marks)
        erased = {porteur for _erasure, porteur in uow.porteur_index.erasures_of(batch) - erasures}
        _rewrite(hub, uow, batch, [p for p in found if p.porteur_id not in erased], now)
        figures = [f for f in figures if f.porteur_id not in erased]
        uow.porteur_index.replace_figures(
            batch, [f.row() for f in figures],
            [{**f.row(), "member_id": m} for f in figures if f.first_month for m in sorted(f.members)])
        uow.commit()


def _hold_back(uow: Any, saved: Any, built_for: str, mine: dict[str, Any]) -> None:
    """Saved marks of this index's kind newer than `mine` are taken back to them."""
    if saved is None or saved.built_for != built_for:
        return  # none yet, or of another kind: the next refresh rebuilds anyway
    older = {key: value for key, value in mine.items()
             if value is not None and getattr(saved, key) is not None
             and _comparable(value) < _comparable(getattr(saved, key))}
    if older:
        uow.porteur_index.save_marks(older)


def _comparable(value: Any) -> Any:
    """Times as aware UTC (SQLite gives them back naive), numbers as they are."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _read(hub: Hub, member: str,
          porteur_ids: Sequence[str]) -> tuple[list[Parcours], list[Figures]]:
    """The parcours and the steering committee's figures of `porteur_ids`, from one
    read of their current fiches."""
    with hub.uow() as uow:
        rows = uow.fiche_reads.current(porteur_ids)
    hub.consents.prefetch((row.member_id, row.fiche_id) for row in rows)
    pfils = {m["id"] for m in list_members(hub) if m["nature"] == "pfil"}
    return parcours_from(hub, member, rows), figures_of(hub, member, rows, pfils)


def search_digest(hub: Hub, term: str, scope: str = COORDINATION) -> str:
    """The stored form of one search term, for the coordination's search (what the
    projection lets it see) or the DPO's lookup (every fiche's own identity)."""
    key = hmac.new(hub.store_keys.digest_key, b"capactif console search v1", hashlib.sha256).digest()
    return hmac.new(key, f"{scope}|{term}".encode(), hashlib.sha256).hexdigest()


def _rewrite(hub: Hub, uow: Any, porteur_ids: Sequence[str], people: list[Parcours],
             now: dt.datetime) -> None:
    """Index rows of the porteurs the coordination sees; search digests of what it sees
    (its search) and of every fiche's own identity (the DPO's lookup of a person)."""
    visible = [p for p in people if p.fiches]
    digests = {(p.porteur_id, search_digest(hub, t)) for p in visible
               for t in {t for i in p.identities for t in porteur_terms(i)}}
    digests |= {(p.porteur_id, search_digest(hub, t, DPO)) for p in people
                for t in {t for i in p.own_identities for t in porteur_terms(i)}}
    uow.porteur_index.replace(
        porteur_ids, [_row(p, now) for p in visible],
        [{"porteur_id": p.porteur_id, "member_id": m} for p in visible for m in sorted(p.members)],
        [{"porteur_id": porteur, "digest": digest} for porteur, digest in sorted(digests)])


def _row(person: Parcours, now: dt.datetime) -> dict[str, Any]:
    return {"porteur_id": person.porteur_id, "stage": person.stage,
            "active": person.stage not in CLOSED_STAGES, "commune_insee": person.commune_code,
            "commune": person.commune, "first_contact": person.first_contact,
            "last_news": person.last_news, "has_referent": person.referent is not None,
            "has_parrain": person.parrain is not None, "refreshed_at": now}
