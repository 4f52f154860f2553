"""PostgreSQL: a write to `members` or `subscriptions` appends a row to `routing_changes`
(a random token, an id from a sequence) instead of updating its one row.

The one row was held by its writer until commit: `capactif members load` (a member
updated, then each member's subscriptions replaced in turn) and a subscription PUT of a
member it had not reached yet (its rows deleted, then the trigger waiting on the row)
waited on each other: a deadlock, the load lost whole. Inserts of new rows wait on no
one, so no writer ever waits on another through the token. The worker's token is the
rows' count with the token of the highest id (`Deliveries.routing_token`): the
count moves when a transaction commits after one holding a higher id, the random token
when a restored older copy is followed by as many writes as it lacked.

The function names the table and the sequence in the schema they were made in, whatever
the writer's search_path. SQLite keeps its one row (its writers are serialised anyway).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06
"""

from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

_PG_DRAW = "md5(random()::text || clock_timestamp()::text)"


def _schema() -> str:
    name = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    return '"' + str(name).replace('"', '""') + '"'


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = _schema()
    op.execute(f"CREATE SEQUENCE {schema}.routing_changes_id_seq AS integer START WITH 2 "
               f"OWNED BY {schema}.routing_changes.id")
    op.execute("CREATE OR REPLACE FUNCTION routing_changed() RETURNS trigger LANGUAGE plpgsql "
               f"AS $$ BEGIN INSERT INTO {schema}.routing_changes (id, token) VALUES "
               f"(nextval('{schema}.routing_changes_id_seq'), {_PG_DRAW}); RETURN NULL; END $$")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = _schema()
    op.execute("CREATE OR REPLACE FUNCTION routing_changed() RETURNS trigger LANGUAGE plpgsql "
               f"AS $$ BEGIN UPDATE {schema}.routing_changes SET token = {_PG_DRAW}; "
               "RETURN NULL; END $$")
    op.execute(f"DELETE FROM {schema}.routing_changes WHERE id <> "
               f"(SELECT max(id) FROM {schema}.routing_changes)")
    op.execute(f"UPDATE {schema}.routing_changes SET id = 1")
    op.execute(f"DROP SEQUENCE {schema}.routing_changes_id_seq")

