"""A change token of what routing reads (`routing_changes`): every write to `members` or
`subscriptions` draws a new token, in the writer's own transaction (triggers, so that no
path, a script or a restore's SQL included, can change them unseen). A worker keeps the
network it routes by (members, roles, territories, webhooks, subscriptions) between its
transactions, and reads only the token in each: the same token, the same network.

A token, not a counter: a restore puts back an older store's token with that store's
members; a counter would go on from there and give again a number a worker had cached
with other members and subscriptions, where a token drawn at random is not drawn twice.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

_WATCHED = ("members", "subscriptions")
_PG_DRAW = "md5(random()::text || clock_timestamp()::text)"
_SQLITE_DRAW = "lower(hex(randomblob(16)))"


def upgrade() -> None:
    table = op.create_table(
        "routing_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("token", sa.String(32), nullable=False),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(sa.insert(table).from_select(
        ["id", "token"], sa.select(sa.literal(1), sa.text(_PG_DRAW if postgresql
                                                           else _SQLITE_DRAW))))
    if postgresql:
        op.execute("CREATE FUNCTION routing_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN UPDATE routing_changes SET token = {_PG_DRAW}; RETURN NULL; END $$")
        for watched in _WATCHED:
            op.execute(f"CREATE TRIGGER {watched}_routing_changed AFTER INSERT OR UPDATE OR "
                       f"DELETE OR TRUNCATE ON {watched} FOR EACH STATEMENT "
                       "EXECUTE FUNCTION routing_changed()")
        return
    for watched in _WATCHED:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {watched}_{event.lower()}_routing_changed AFTER {event} "
                       f"ON {watched} BEGIN UPDATE routing_changes SET token = {_SQLITE_DRAW}; "
                       "END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for watched in _WATCHED:
            op.execute(f"DROP TRIGGER {watched}_routing_changed ON {watched}")
        op.execute("DROP FUNCTION routing_changed()")
    else:
        for watched in _WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {watched}_{event}_routing_changed")
    op.drop_table("routing_changes")
