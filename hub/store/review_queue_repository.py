"""The duplicate queue's pages sorted and cut in the database, in the order the reader is
told (`hub.domain.matching.queue_order`): an item whose key the reader is not told goes
after every item whose key it is, by number, whatever its probability or its age.

What the reader is told of an item is worked out in SQL from what decides it for the one
consent + policy gate (`FicheDisclosures.allowed`, `told_fields`): the consent each side's
current version cites (`fiches.consent_id`), that consent's terms and state at the
reader's time (withdrawn, past its end even before the expiry sweep), the fiche's data
key (destroyed by an erasure), and the compared fields the policy opens for the first
purpose the consent covers. The database compares every open item by a few index lookups
(the order's columns are in one index); the hub reads and opens a page's items only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from hub.domain.matching.told_fields import QueueReader
from hub.store import bulk
from hub.store.erasure_tables import fiche_keys
from hub.store.matching_tables import review_items
from hub.store.records import ReviewItem
from hub.store.tables import fiches

OPEN = "open"
WITHDRAWN = "withdrawn"  # `consent.model.Status.WITHDRAWN`, as `consent_states` holds it
_TIME = sa.DateTime(timezone=True)
_consents = sa.table("consents", sa.column("id"), sa.column("purposes"), sa.column("roles"),
                     sa.column("members"), sa.column("expires_at", _TIME))
_states = sa.table("consent_states", sa.column("consent_id"), sa.column("state"))
# The item's columns, as `ReviewItem` holds them.
_ITEM = [review_items.c[name] for name in ReviewItem._fields]


class ReviewQueue:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def count_open(self, reader: QueueReader) -> int:
        """The open items `reader` may know of (`known_to`)."""
        return self.conn.execute(sa.select(sa.func.count()).select_from(review_items)
                                 .where(review_items.c.status == OPEN,
                                        self.known_to(reader))).scalar_one()

    def known_to(self, reader: QueueReader) -> Any:
        """An item is listed to `reader` when one side at least is consultable by it: one
        between two fiches it may not see is neither listed nor counted (it stays open),
        open or decided (`Revisits`)."""
        r = review_items.c
        return sa.or_(self._shows(r.fiche_pk, reader, None),
                      self._shows(r.candidate_fiche_pk, reader, None))

    def page(self, order: str, offset: int, limit: int, reader: QueueReader) -> list[ReviewItem]:
        """`limit` open items from `offset` in `order` (`queue_order.ORDERS`) as `reader` is
        told them: those whose key it is told (descending for `recents` and `probabilite`),
        ties by number; then the others, by number."""
        r = review_items.c
        if order.startswith("probabilite"):
            told = sa.and_(*(self._shows(side, reader, r.explained_fields)
                             for side in (r.fiche_pk, r.candidate_fiche_pk)))
            key: Any = self._rounded(r.probability)
        else:  # the opening is told beside the new side, when it is consultable
            told = self._shows(r.fiche_pk, reader, None)
            key = r.opened_at
        told_key = sa.case((told, key))  # NULL, after the others, when not told
        ranked = told_key.desc() if order in ("recents", "probabilite") else told_key.asc()
        ranked_ids = list(self.conn.scalars(  # narrow rows to sort: the ids alone
            sa.select(r.id).where(r.status == OPEN, self.known_to(reader))
            .order_by(ranked.nulls_last(), r.id).offset(offset).limit(limit)))
        found = {row.id: ReviewItem(*row) for row in self.conn.execute(
            sa.select(*_ITEM).where(r.id.in_(ranked_ids)))}
        return [found[item] for item in ranked_ids]

    def _shows(self, fiche_pk: Any, reader: QueueReader, explained: Any) -> Any:
        """Whether the fiche `fiche_pk` is consultable by `reader` (`explained` None), or
        shows it every compared field of `explained` (a mask, `told_fields`): the fields
        of the first of the reader's purposes its consent covers. Looked up item by item,
        by key (a set of every covered fiche drew plans that read `fiches` once per
        consent on PostgreSQL tables whose statistics were not yet gathered)."""
        f, k, c = fiches.alias(), fiche_keys.alias(), _consents.alias()
        fields = sa.case(*[(self._holds(c.c.purposes, p.purpose),
                            sa.literal(p.mask, sa.Integer) if p.mask is not None
                            else sa.null()) for p in reader.purposes],
                         else_=sa.null()) if reader.purposes else sa.null()
        shown = fields.is_not(None) if explained is None else \
            fields.op("&")(explained) == explained
        withdrawn = sa.exists().where(_states.c.consent_id == c.c.id,
                                      _states.c.state == WITHDRAWN)
        return sa.exists().select_from(
            f.join(k, k.c.fiche_pk == f.c.id).join(c, c.c.id == f.c.consent_id)).where(
            f.c.id == fiche_pk, k.c.wrapped_key.is_not(None),
            c.c.expires_at > sa.bindparam(None, reader.at, type_=_TIME),
            self._holds(c.c.roles, reader.role),
            sa.or_(sa.cast(c.c.members, sa.Text).not_like('%"%'),
                   self._holds(c.c.members, reader.member)),
            ~withdrawn, shown)

    def _holds(self, column: Any, value: str) -> Any:
        """Whether the JSON list of texts in `column` holds `value` (written as the
        store's JSON writer writes it)."""
        written = (getattr(self.conn.dialect, "_json_serializer", None) or json.dumps)(value)
        pattern = written.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return sa.cast(column, sa.Text).like(f"%{pattern}%", escape="\\")

    def _rounded(self, probability: Any) -> Any:
        """The probability as it is told (to six decimals: `told_probability`)."""
        if self.conn.dialect.name == "postgresql":
            return sa.func.round(sa.cast(probability, sa.Numeric), 6)
        return sa.func.round(probability, 6)

    # --- the columns written for items and versions from before they existed ------------

    def unexplained(self, limit: int) -> list[tuple[int, Any, int, int]]:
        """Open items without their compared fields (`explained_fields`), by number:
        (id, explanation, fiche_pk, candidate_fiche_pk)."""
        r = review_items.c
        query = (sa.select(r.id, r.explanation, r.fiche_pk, r.candidate_fiche_pk)
                 .where(r.status == OPEN, r.explained_fields.is_(None))
                 .order_by(r.id).limit(limit))
        return [(row.id, row.explanation, row.fiche_pk, row.candidate_fiche_pk)
                for row in self.conn.execute(query)]

    def set_explained(self, masks: Mapping[int, int]) -> None:
        bulk.update_rows(self.conn, review_items, "id", [
            {"id": item, "explained_fields": mask} for item, mask in masks.items()])

    def without_consent(self, fiche_pks: Iterable[int]) -> list[int]:
        """Of these fiches, those that do not say which consent their current version
        cites (pushed before `fiches.consent_id`)."""
        query = sa.select(fiches.c.id).where(
            bulk.among(self.conn, fiches.c.id, sorted(set(fiche_pks))),
            fiches.c.consent_id.is_(None))
        return list(self.conn.scalars(query))

    def set_cited_consents(self, cited: Iterable[tuple[int, int, str]]) -> None:
        """(fiche_pk, current version, the consent it cites or ""): written unless a newer
        version, which says its own, became current meanwhile."""
        rows = [{"pk": pk, "number": version, "consent": consent}
                for pk, version, consent in cited]
        if rows:
            f = fiches.c
            self.conn.execute(
                sa.update(fiches).where(f.id == sa.bindparam("pk"),
                                        f.current_version == sa.bindparam("number"),
                                        f.consent_id.is_(None))
                .values(consent_id=sa.bindparam("consent")), rows)
