"""The console's tables: people's accounts, their server-side sessions, and the
integrity checks of the access log run from the console.

A session row holds the SHA-256 of the cookie's token, never the token itself, so a
copy of the database does not let anyone take over a session.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.tables import UTC_TIME, metadata

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("login", sa.String(40), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("failed_attempts", sa.Integer, nullable=False),
    sa.Column("locked_until", UTC_TIME),
    sa.Column("last_login_at", UTC_TIME),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("updated_at", UTC_TIME, nullable=False),
)

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("expires_at", UTC_TIME, nullable=False),
)

integrity_checks = sa.Table(
    "integrity_checks",
    metadata,
    sa.Column("id", BIGID, primary_key=True),
    sa.Column("checked_at", UTC_TIME, nullable=False),
    sa.Column("user_id", sa.String(40), nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("entries", sa.BigInteger, nullable=False),
    sa.Column("heads", sa.Integer, nullable=False),
    sa.Column("verified_size", sa.BigInteger, nullable=False),
    sa.Column("first_bad_seq", sa.BigInteger),
    sa.Column("summary", sa.Text, nullable=False),
)
