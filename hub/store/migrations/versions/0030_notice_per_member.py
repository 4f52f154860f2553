"""One notice per text and member: the same text as another member's is a notice of the
caller's own. Before, it answered that member's notice (its version, date and name):
whether, and when, another member had registered the text.

SQLite cannot drop a table's UNIQUE constraint: the table is rebuilt while `consents`
refers to it. Alembic's batch mode copies into a new table then drops the old one, which
leaves the consents' references counted as broken at the commit; here the rows are kept
aside, the table dropped and created again, and the rows put back into it, which the
deferred foreign key check (`defer_foreign_keys`) counts as mended.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_OLD, _NEW = "uq_consent_notices_sha256", "uq_consent_notices_member_sha256"
_COLUMNS = "version, sha256, text, stored_at, member_id, language, purposes"
_TABLE = """CREATE TABLE consent_notices (
    version INTEGER NOT NULL, sha256 VARCHAR(64) NOT NULL, text TEXT NOT NULL,
    stored_at DATETIME NOT NULL, member_id VARCHAR(50),
    language VARCHAR(8) DEFAULT 'fr' NOT NULL, purposes JSON,
    CONSTRAINT pk_consent_notices PRIMARY KEY (version){unique})"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(unique="")
    else:
        op.drop_constraint(_OLD, "consent_notices", type_="unique")
    op.create_index(_NEW, "consent_notices", ["member_id", "sha256"], unique=True)


def downgrade() -> None:
    shared = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM (SELECT sha256 FROM consent_notices GROUP BY sha256 "
        "HAVING count(*) > 1) AS shared")).scalar_one()
    if shared:
        raise RuntimeError(
            f"{shared} texte(s) de notice enregistré(s) par plusieurs membres : avant 0030 un "
            f"texte n'a qu'une notice. / {shared} notice text(s) registered by several "
            "members: before 0030 a text has one notice.")
    op.drop_index(_NEW, "consent_notices")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(unique=f",\n    CONSTRAINT {_OLD} UNIQUE (sha256)")
    else:
        op.create_unique_constraint(_OLD, "consent_notices", ["sha256"])


def _rebuild_sqlite(unique: str) -> None:
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute(f"CREATE TEMPORARY TABLE consent_notices_kept AS SELECT {_COLUMNS} "
               "FROM consent_notices")
    op.execute("DROP TABLE consent_notices")
    op.execute(_TABLE.format(unique=unique))
    op.execute(f"INSERT INTO consent_notices ({_COLUMNS}) SELECT {_COLUMNS} "
               "FROM consent_notices_kept")
    op.execute("DROP TABLE consent_notices_kept")
    op.execute("CREATE INDEX ix_consent_notices_member_id ON consent_notices (member_id)")
