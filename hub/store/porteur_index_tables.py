"""The coordination's index of porteurs: one row per porteur the coordination may see,
with the facts its pages filter and sort on (stage, commune, dates, referent, parrain,
members following), so that paging, filtering and sorting run in the database.

Built from what the projection lets the coordination see, refreshed from what changed
(`hub.services.console.porteur_index`). It holds no name, e-mail or birth date in clear: a
search goes through keyed digests of the folded words (`porteur_search_keys`), the
same way the blocking index holds no identity.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.tables import UTC_TIME, fiche_links, fiches, metadata

porteur_index = sa.Table(
    "porteur_index",
    metadata,
    sa.Column("porteur_id", sa.String(40), primary_key=True),
    sa.Column("stage", sa.String(20)),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("commune_insee", sa.String(10)),
    sa.Column("commune", sa.String(200)),
    sa.Column("first_contact", sa.Date, nullable=False, index=True),
    sa.Column("last_news", sa.Date, index=True),
    sa.Column("has_referent", sa.Boolean, nullable=False),
    sa.Column("has_parrain", sa.Boolean, nullable=False),
    sa.Column("refreshed_at", UTC_TIME, nullable=False),
)

porteur_index_members = sa.Table(
    "porteur_index_members",
    metadata,
    sa.Column("porteur_id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(50), primary_key=True, index=True),
)

porteur_search_keys = sa.Table(
    "porteur_search_keys",
    metadata,
    sa.Column("porteur_id", sa.String(40), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True, index=True),
)

# The territory filter's list of communes (code and name) read from an index alone.
sa.Index("ix_porteur_index_commune", porteur_index.c.commune_insee, porteur_index.c.commune)
# The ongoing projects first met in a period (the meeting's "new this month", the
# porteurs page's period), searched on a range rather than scanned.
sa.Index("ix_porteur_index_active_first_contact", porteur_index.c.active,
         porteur_index.c.first_contact)
# The default order of the porteurs page, and its counts, read from one index.
sa.Index("ix_porteur_index_attention", porteur_index.c.active, porteur_index.c.has_referent,
         porteur_index.c.last_news)

# One row (id 1): how far the index has followed each source of change.
porteur_index_marks = sa.Table(
    "porteur_index_marks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("fiche_time", UTC_TIME),
    sa.Column("link_id", sa.BigInteger, nullable=False),
    sa.Column("link_time", UTC_TIME),
    sa.Column("consent_state_id", sa.BigInteger, nullable=False),
    sa.Column("checked_at", UTC_TIME),
    sa.Column("built_for", sa.String(120)),
)

# The index follows fiches by their last change, links by their closing time, and
# consents by their recording time (their expiry is indexed already).
sa.Index("ix_fiches_updated_at", fiches.c.updated_at)
sa.Index("ix_fiche_links_unlinked_at", fiche_links.c.unlinked_at)

# The steering committee's figures of each porteur the hub holds fiches of, read
# through the projection for the purpose `statistiques`: `first_month` is None when no
# fiche of the porteur may be counted (consent without statistics). Counts only.
porteur_figures = sa.Table(
    "porteur_figures",
    metadata,
    sa.Column("porteur_id", sa.String(40), primary_key=True),
    sa.Column("first_month", sa.String(7)),
    sa.Column("avec_referent", sa.Boolean, nullable=False),
    sa.Column("installations", sa.Boolean, nullable=False),
    sa.Column("finances_pfil", sa.Boolean, nullable=False),
)

# The same figures once per member following the porteur (in the statistics' view), so
# that the table by member is counted from one table.
porteur_figure_members = sa.Table(
    "porteur_figure_members",
    metadata,
    sa.Column("porteur_id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(50), primary_key=True),
    sa.Column("first_month", sa.String(7), nullable=False),
    sa.Column("avec_referent", sa.Boolean, nullable=False),
    sa.Column("installations", sa.Boolean, nullable=False),
    sa.Column("finances_pfil", sa.Boolean, nullable=False),
)

# Both counted from their indexes alone (month, then the flags).
sa.Index("ix_porteur_figures_counts", porteur_figures.c.first_month,
         porteur_figures.c.avec_referent, porteur_figures.c.installations,
         porteur_figures.c.finances_pfil)
sa.Index("ix_porteur_figure_members_counts", porteur_figure_members.c.member_id,
         porteur_figure_members.c.first_month, porteur_figure_members.c.avec_referent,
         porteur_figure_members.c.installations, porteur_figure_members.c.finances_pfil)
