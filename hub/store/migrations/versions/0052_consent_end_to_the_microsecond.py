"""The index row keeps when its consent ends to the microsecond
(`match_records.consent_end_us`), not in whole seconds (`consent_end_s`, 0049): a consent
ends to the microsecond (expired from `expires_at` on), and an end cut to its second left
the fiche out of the matching up to a second early, while its consent was in force.

Rows indexed before keep their second (times a million): their consent's fraction of a
second is only in the sealed payload; a fiche indexed again is written to the
microsecond. The downgrade cuts the ends back to their second.

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-06
"""

from alembic import op

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # RENAME COLUMN keeps SQLite's table as it is (its rowid-keyed primary key, 0050).
    op.execute("ALTER TABLE match_records RENAME COLUMN consent_end_s TO consent_end_us")
    op.execute("UPDATE match_records SET consent_end_us = consent_end_us * 1000000 "
               "WHERE consent_end_us IS NOT NULL")


def downgrade() -> None:
    op.execute("UPDATE match_records SET consent_end_us = consent_end_us / 1000000 "
               "WHERE consent_end_us IS NOT NULL")
    op.execute("ALTER TABLE match_records RENAME COLUMN consent_end_us TO consent_end_s")
