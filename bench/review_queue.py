"""The duplicate queue's pages at a large open queue, beside a bare read measured in the
same run: the open items of one page read by primary key, which any page must do.

    .venv/bin/python bench/review_queue.py [--open 1000,10000,50000] [--fiches 3000]
                                           [--rounds 3] [--db sqlite|postgresql|both]

A pool of `--fiches` real fiches is pushed (consent recorded, stored, encrypted): a
third by the commune with a consent for every role, a third by the commune with a
consent leaving the coordination out (a hidden side), a third by the chamber, whose
policy hides fields from the coordination (names and birth date only). Then `--open`
review items are inserted in bulk, each pairing two fiches of the pool at random, with
a real explanation (of a pair the matcher opened) and a random probability and opening
time. The pages: the API's `GET /v1/duplicates` (by number, a cursor: the first page and
one past the middle) and the console queue's page (`duplicates_console.review_queue`,
the console page's work but the HTML) in each order, the first page and a far one.
The median of `--rounds` is printed with its ratio to the baseline.

The items share the pool's fiches (a real queue of N items holds up to 2N): the reading
and opening of the fiches every page of the console's queue does is counted for the
pool only, so the console pages' times are a floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from bench._stores import each_store
from hub.bootstrap import Hub
from hub.domain.matching.queue_order import ORDERS
from hub.services.console import duplicates_console
from hub.store.matching_tables import review_items
from hub.store.tables import fiches
from tests.factories import record_consents
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATION_SESSION,
    NOT_FOR_COORDINATION,
    PERSON,
    VISIBLE,
    api_world,
    coordination_get,
    fiche_of,
    push,
)

PER_PAGE = duplicates_console.PER_PAGE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", default="1000,10000,50000",
                        help="open items in the queue, comma-separated sizes")
    parser.add_argument("--fiches", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    sizes = [int(size) for size in args.open.split(",")]
    for name, url, folder in each_store(args.db):
        for hub, client, creds in api_world(url, Path(folder)):
            started = time.perf_counter()
            pool, explanation = _pool(hub, args.fiches)
            print(f"{name}: {len(pool)} fiches pushed in {time.perf_counter() - started:.0f} s")
            held = 0
            for size in sizes:
                _open_items(hub, pool, explanation, size - held)
                held = size
                _measure(hub, client, creds, size, args.rounds)


def _pool(hub: Hub, count: int) -> tuple[list[tuple[int, str]], Any]:
    """`count` fiches (pk, porteur) of three kinds, and the explanation of a real item."""
    push(hub, COMMUNE, fiche_of(COMMUNE, "X-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "X-2", VISIBLE))
    with hub.engine.connect() as conn:
        explanation = conn.execute(sa.select(review_items.c.explanation).limit(1)).scalar_one()
    for start in range(0, count, 300):
        batch = range(start, min(count, start + 300))
        people = [{**VISIBLE, "nom": f"Banc{n:06d}"} for n in batch]
        commune = [fiche_of(COMMUNE, f"B-{n}", p) for n, p in zip(batch, people, strict=True)
                   if n % 3 != 2]
        open_to_all = [f for f in commune if int(f["fiche_id"][2:]) % 3 == 0]
        record_consents(hub, open_to_all)
        record_consents(hub, [f for f in commune if f not in open_to_all],
                        roles_destinataires=NOT_FOR_COORDINATION)
        push(hub, COMMUNE, *commune, process=False, consent=False)
        push(hub, CCI, *[fiche_of(CCI, f"B-{n}", p) for n, p in zip(batch, people, strict=True)
                         if n % 3 == 2], process=False)
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(fiches.c.id, fiches.c.porteur_id)
                            .where(fiches.c.fiche_id.like("B-%")))
        return [(pk, porteur or f"prt_banc{pk}") for pk, porteur in rows], explanation


def _open_items(hub: Hub, pool: list[tuple[int, str]], explanation: Any, count: int) -> None:
    rng, now = random.Random(count), dt.datetime.now(dt.UTC)
    with hub.engine.begin() as conn:
        for start in range(0, count, 5000):
            rows = []
            for _ in range(min(5000, count - start)):
                (left, left_porteur), (right, right_porteur) = rng.sample(pool, 2)
                rows.append({"fiche_pk": left, "porteur_id": left_porteur,
                             "candidate_fiche_pk": right, "candidate_porteur_id": right_porteur,
                             "probability": rng.uniform(0.5, 0.99), "explanation": explanation,
                             "status": "open",
                             "opened_at": now - dt.timedelta(minutes=rng.randrange(100_000))})
            conn.execute(sa.insert(review_items), rows)


def _measure(hub: Hub, client: Any, creds: Path, size: int, rounds: int) -> None:
    with hub.engine.connect() as conn:
        ids = list(conn.scalars(sa.select(review_items.c.id).where(review_items.c.status == "open")
                                .order_by(review_items.c.id)))
    middle, far = ids[len(ids) // 2], max(1, len(ids) // PER_PAGE // 2)
    pages: dict[str, Callable[[], object]] = {
        "API /v1/duplicates, first page": lambda: _ok(coordination_get(
            client, creds, f"/v1/duplicates?limit={PER_PAGE}")),
        "API /v1/duplicates, past the middle": lambda: _ok(coordination_get(
            client, creds, f"/v1/duplicates?limit={PER_PAGE}&after={middle}")),
    }
    for order in ORDERS:
        for page in (1, far):
            pages[f"console {order}, page {page}"] = (
                lambda order=order, page=page: duplicates_console.review_queue(
                    hub, COORDINATION_SESSION, order=order, page=page))
    shown = ids[:PER_PAGE]
    pages["baseline"] = lambda: _bare(hub, shown)
    times: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(rounds):
        for name, call in pages.items():
            hub.clock.now = dt.datetime.now(dt.UTC)  # type: ignore[attr-defined]  # signatures
            begin = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - begin)
    base = statistics.median(times.pop("baseline"))
    print(f"  {size} open items; baseline: {PER_PAGE} items read by primary key "
          f"{base * 1000:7.1f} ms")
    for name, measured in times.items():
        median = statistics.median(measured)
        verdict = "ok" if median < 0.2 else "OVER 200 ms"
        print(f"    {name:40s} {median * 1000:8.1f} ms  ×{median / base:7.1f}  {verdict}")


def _ok(answer: Any) -> Any:
    assert answer.status_code == 200, answer.text
    return answer


def _bare(hub: Hub, item_ids: list[int]) -> int:
    with hub.uow() as uow:
        return len(uow.matching.reviews_by_id(item_ids))


if __name__ == "__main__":
    main()
