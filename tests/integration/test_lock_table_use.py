"""A worker transaction's use of PostgreSQL's shared lock table does not grow with the
fiches it holds. The table has `max_locks_per_transaction × connections` slots for the
whole server (6,400 by default); the key locks were advisory locks, one a key stripe
(about 20 a fiche), so four workers at 100 fiches a transaction could fill it ("out of
shared memory") and one transaction of 500 fiches needed 10,000 slots alone. They are row
locks now (rows of `match_lock_stripes`), written in the rows."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hub.services.ingest import processing
from tests.integration.dedup_world import CCI, fiche_of, porteur_of, push
from tests.integration.statements import statements_sent
from tests.integration.test_online_matching import pg_world  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration

SURNAMES = ("Aubrac", "Bergeron", "Chabrier", "Delmas", "Espinasse", "Faucher", "Gironde",
            "Haudry", "Issartel", "Jarrige")
FIRST_NAMES = ("Agnès", "Bastien", "Céline", "Denis", "Éliane", "Fabrice", "Gaëlle")


def strangers(count: int, start: int) -> list[dict]:
    """`count` porteurs with nothing in common (names, birth date, e-mail, phone, street)."""
    people = []
    for i in range(start, start + count):
        surname = SURNAMES[i % len(SURNAMES)] + "-" + SURNAMES[i // len(SURNAMES) % 10]
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        born = dt.date(1950, 1, 1) + dt.timedelta(days=97 * i)
        people.append({"nom": surname, "prenom": first, "date_naissance": born.isoformat(),
                       "courriel": f"porteur.{i}@exemple.fr",
                       "telephone": f"04 73 {i // 100 % 100:02d} {i % 100:02d} 17",
                       "adresse": {"ligne": f"{i} chemin des Sources", "code_postal": "63600",
                                   "commune": "Ambert"}})
    return people


def locks_held_while_processing(hub, count: int, start: int, *, wait: bool,
                                kinds: str = "all") -> int:
    """The lock-table entries a worker's transaction holds once it has locked and resolved
    `count` new fiches, counted from another connection before its commit; with
    `kinds="per_object"`, those that are not a table's, an index's or a sequence's (the
    entries that could grow with the fiches: advisory locks, tuples, transaction ids)."""
    ids = push(hub, CCI, *[fiche_of(CCI, f"L-{start + i}", person)
                           for i, person in enumerate(strangers(count, start))], process=False)
    with hub.uow() as uow:
        rows = uow.outbox.claim(ids)
        _versions, created, later = processing._process_versions(
            hub, uow, [row.ref_id for row in rows], hub.clock(), wait=wait)
        assert (created, later) == (count, set())
        pid = uow.connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with hub.engine.connect() as probe:
            held = probe.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE pid = :pid"
                + (" AND locktype <> 'relation'" if kinds == "per_object" else "")),
                {"pid": pid}).scalar()
        uow.commit()
    return held


@pytest.mark.parametrize("wait", [False, True])
def test_a_worker_transaction_holds_as_many_lock_table_entries_for_60_fiches_as_for_3(
        pg_world, wait):  # noqa: F811
    hub, _clock = pg_world
    few = locks_held_while_processing(hub, 3, 0, wait=wait, kinds="per_object")
    many = locks_held_while_processing(hub, 60, 100, wait=wait, kinds="per_object")
    # The transaction's own ids, not a lock a key: 57 more fiches held ~1,100 more advisory
    # locks. The tables' and indexes' entries are left out: one a relation and mode whatever
    # the fiches, but which relations a batch touches depends on its decisions (the 60
    # fiches here open a review item: review_items, match_judgements, and fiches read FOR
    # SHARE, which the foreign keys of match_records had locked for the 3 too until 0035).
    assert many - few <= 5, (few, many)


def stripe_rows(hub) -> int:
    with hub.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM match_lock_stripes")).scalar()


def test_the_stripes_table_starts_empty_and_a_worker_writes_the_rows_it_locks(pg_world):  # noqa: F811
    """An empty store stays small (a copy of it, each test's database); the first lock of
    a stripe writes its row, so no stripe is ever taken unlocked."""
    hub, _clock = pg_world
    assert stripe_rows(hub) == 0
    locks_held_while_processing(hub, 3, 0, wait=False)
    written = stripe_rows(hub)
    assert written >= 3 * 10
    locks_held_while_processing(hub, 3, 10, wait=True)
    assert stripe_rows(hub) > written


def test_rows_removed_under_a_running_worker_are_written_again_by_its_next_lock(
        pg_world):  # noqa: F811
    """A worker that has seen a stripe's row does not look for it again: rows gone since (a
    downgrade below 0034 and an upgrade, a restore of an older copy) make its waiting lock
    find fewer rows than stripes. It writes them again and locks them in the same batch,
    never going on unlocked and never failing the batch for it."""
    hub, _clock = pg_world
    locks_held_while_processing(hub, 3, 0, wait=True)
    written = stripe_rows(hub)
    with hub.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM match_lock_stripes"))
    again = [fiche_of(CCI, f"R-{i}", person) for i, person in enumerate(strangers(3, 0))]
    ids = push(hub, CCI, *again, process=False)  # the same people: stripes seen before
    hub = hub.with_settings(worker_claim_size=1)  # not the rows left by the probes above
    assert processing.process_outbox(hub, ids).claimed == 3
    assert porteur_of(hub, CCI, "R-0") == porteur_of(hub, CCI, "L-0")
    assert stripe_rows(hub) >= written


def test_a_stripe_locked_after_its_row_was_written_again_is_held_until_the_commit(
        pg_world):  # noqa: F811
    """The rows written again are locked, not only written: another transaction cannot
    take them while the repairing one is open."""
    hub, _clock = pg_world
    locks_held_while_processing(hub, 3, 0, wait=True)
    with hub.engine.connect() as conn:
        numbers = list(conn.execute(sa.text("SELECT n FROM match_lock_stripes ORDER BY n")).scalars())
    with hub.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM match_lock_stripes"))
    with hub.uow() as uow:
        uow.matching.lock_keys(numbers[:5], numbers[5:8])
        with hub.engine.connect() as other:
            free = other.execute(sa.text(
                "SELECT count(*) FROM (SELECT n FROM match_lock_stripes "
                "WHERE n = ANY(CAST(:numbers AS integer[])) FOR SHARE SKIP LOCKED) AS k"),
                {"numbers": "{" + ",".join(map(str, numbers[:5])) + "}"}).scalar()
            shared = other.execute(sa.text(
                "SELECT count(*) FROM (SELECT n FROM match_lock_stripes "
                "WHERE n = ANY(CAST(:numbers AS integer[])) FOR UPDATE SKIP LOCKED) AS k"),
                {"numbers": "{" + ",".join(map(str, numbers[5:8])) + "}"}).scalar()
        uow.commit()
    assert (free, shared) == (0, 0)


def test_a_batch_of_new_fiches_locks_its_keys_in_one_savepoint_and_one_statement(
        pg_world):  # noqa: F811
    """The stripes a worker has not seen yet are written (their own transaction) without
    being looked for first; the keys are then taken in one statement, in one savepoint
    (the CPU of a transaction of 100 fiches: some 2,000 stripes; each statement and round
    trip a chunk costs both ends)."""
    hub, _clock = pg_world
    with statements_sent(hub.engine, lambda text: "match_lock_stripes" in text
                         or "SAVEPOINT" in text) as sent:
        locks_held_while_processing(hub, 3, 0, wait=False)
    statements = [" ".join(statement.split()[:2]) for statement, _parameters in sent]
    assert statements == ["SAVEPOINT sa_savepoint_1", "INSERT INTO", "SELECT k.n",
                          "RELEASE SAVEPOINT"], statements


def test_the_stripes_table_writes_no_wal(pg_world):  # noqa: F811
    """Its rows hold only the workers' key locks (written again when gone: a crash empties
    an unlogged table): neither their writing nor their locking costs a WAL record."""
    hub, _clock = pg_world
    with hub.engine.connect() as conn:
        persistence = conn.execute(sa.text(
            "SELECT relpersistence FROM pg_class WHERE relname = 'match_lock_stripes'")).scalar()
    assert persistence == "u"
