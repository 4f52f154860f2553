"""Console pages' server time with a large network, beside a bare query measured in
the same run: the read (and opening) of the current fiches of the 50 porteurs a page
shows, which any page listing them must do.

    .venv/bin/python bench/console.py [--porteurs 50000] [--real 200] [--rounds 5]
                                      [--db sqlite|postgresql|both] [--profile PAGE]

`--real` porteurs go through the real pipeline (consent, push, processing) and are
the ones the first pages show; the coordination's index then gets `--porteurs` rows
in all (the others with their members, search digests and steering-committee figures,
inserted in bulk): the pages' database work (filters, counts, sorting, paging, search,
the indicators' counts) runs over all of them.
Each page is requested through the app (ASGI, in process) with a signed-in
coordinator; rounds alternate the pages and the baseline; the median of each is
printed with its ratio to the baseline. The target: every page under 200 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient

from bench._stores import postgres_url, sqlite_url
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts import users as accounts
from hub.services.accounts.auth import Caller
from hub.services.console import porteur_index
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.store.porteur_index_tables import (
    porteur_figure_members,
    porteur_figures,
    porteur_index_members,
    porteur_search_keys,
)
from hub.store.porteur_index_tables import (
    porteur_index as index_table,
)
from tests.console_world import MEMBERS, _fiche, build_world
from tests.factories import ALL_PURPOSES, record_consents
from tests.fakes.publisher import RecordingPublisher

STAGES = ["idee", "emergence", "montage", "financement"]
PASSWORD = "mot-de-passe-du-banc"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--porteurs", type=int, default=50_000)
    parser.add_argument("--real", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--profile", metavar="PAGE", default="",
                        help="print where the time of pages whose name holds PAGE goes")
    args = parser.parse_args()
    stores = {"sqlite": sqlite_url, "postgresql": postgres_url}
    for name in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        with stores[name]() as url, tempfile.TemporaryDirectory() as folder:
            print(f"{name}: {args.porteurs} porteurs in the index ({args.real} real)")
            run(url, Path(folder), args)


def run(url: str, folder: Path, args: argparse.Namespace) -> None:
    clock = _Clock()
    hub = Hub.from_settings(Settings(data_dir=folder / "data", database_url=url),
                            publisher=RecordingPublisher(), clock=clock)
    started = time.perf_counter()
    world = build_world(hub, folder)
    _real_porteurs(hub, args.real)
    porteur_index.refresh(hub)
    _synthetic_rows(hub, args.porteurs - args.real - len(world["porteurs"]))
    print(f"  set-up {time.perf_counter() - started:.0f} s")
    clock.ahead = dt.timedelta(minutes=10)  # steady state: the set-up's changes are old
    accounts.add_user(hub, "banc", "coordinator", PASSWORD)
    accounts.add_user(hub, "banc-dpo", "dpo", PASSWORD)
    app = create_app(hub=hub)
    with TestClient(app, base_url="https://127.0.0.1") as client, \
            TestClient(app, base_url="https://127.0.0.1") as officer:
        _sign_in(client)
        _sign_in(officer, "banc-dpo")
        dpo_token = _csrf(officer.get("/console/dpo/journal").text)
        client.get("/console/coordination/porteurs")  # the index follows the set-up once
        token = _csrf(client.get("/console/coordination/porteurs").text)
        pages: dict[str, Callable[[], object]] = {
            "porteurs (default)": lambda: client.get("/console/coordination/porteurs"),
            "porteurs, member + sort + page 40": lambda: client.get(
                "/console/coordination/porteurs?membre=cci-puy-de-dome&projets=tous"
                "&tri=nouvelles&ordre=desc&page=40"),
            "porteurs, search by name": lambda: client.post(
                "/console/coordination/porteurs", data={"csrf": token, "q": "Banc00042"}),
            "meeting sheet": lambda: client.get("/console/coordination/reunion"),
            "parcours": lambda: client.get(
                f"/console/coordination/porteurs/{world['porteurs']['F-INSTALLE']}"),
            "indicators": lambda: client.get("/console/coordination/indicateurs"),
            "indicators, one semester": lambda: client.get(
                f"/console/coordination/indicateurs?semestre={clock().year - 1}-S2"),
            "duplicates queue": lambda: client.get("/console/coordination/doublons"),
            "DPO log, newest page": lambda: officer.post(
                "/console/dpo/journal", data={"csrf": dpo_token}),
            "DPO alerts": lambda: officer.get("/console/dpo/alertes"),
        }
        shown = _first_page_ids(hub)
        baseline = lambda: _bare(hub, shown)  # noqa: E731
        times: dict[str, list[float]] = {name: [] for name in [*pages, "baseline"]}
        for _ in range(args.rounds):
            for name, call in [*pages.items(), ("baseline", baseline)]:
                begin = time.perf_counter()
                answer = call()
                times[name].append(time.perf_counter() - begin)
                status = getattr(answer, "status_code", 200)
                assert status == 200, f"{name}: {status}"
        for name in [n for n in pages if args.profile and args.profile in n]:
            _profile(name, pages[name])
    base = statistics.median(times["baseline"])
    print(f"  baseline: 50 porteurs' current fiches read and opened  {base * 1000:7.1f} ms")
    for name in pages:
        median = statistics.median(times[name])
        verdict = "ok" if median < 0.2 else "OVER 200 ms"
        print(f"  {name:40s} {median * 1000:7.1f} ms  ×{median / base:5.1f}  {verdict}")
    hub.close()


def _profile(name: str, call: Callable[[], object]) -> None:
    """Profile the route handler itself: FastAPI runs it in a worker thread, where the
    profiler is switched on around it."""
    profiler, original = cProfile.Profile(), fastapi_routing.run_in_threadpool

    async def profiled(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await original(profiler.runcall, func, *args, **kwargs)

    fastapi_routing.run_in_threadpool = profiled  # type: ignore[assignment]
    try:
        call()
    finally:
        fastapi_routing.run_in_threadpool = original  # type: ignore[assignment]
    print(f"  --- profile of {name}'s handler (cumulative) ---")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


class _Clock:
    def __init__(self) -> None:
        self.ahead = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.ahead


def _real_porteurs(hub: Hub, count: int) -> None:
    today, kinds = hub.clock().date(), {m[0]: (m[2], m[3]) for m in MEMBERS}
    batch = []
    for n in range(count):
        owner = MEMBERS[1 + n % 4][0]
        batch.append(_fiche(today, owner, f"F-BANC-{n:05d}", "Prénom", f"Banc{n:05d}",
                            "Projet du banc", STAGES[n % 4],
                            [(n % 300 + 1, owner, "accueil", None, None)]))
        if len(batch) == 50 or n == count - 1:
            record_consents(hub, batch, finalites=ALL_PURPOSES)
            for member in sorted({f["membre"] for f in batch}):
                own = [f for f in batch if f["membre"] == member]
                kind, role = kinds[member]
                ingest.push_batch(hub, Caller(member, "", kind, role), own)
                for published in list(hub.publisher.published):
                    processing.process_outbox(hub, published)
                hub.publisher.published.clear()
            batch = []


def _synthetic_rows(hub: Hub, count: int) -> None:
    """Index rows for porteurs that all have a referent and fresh news (so the default
    page shows real porteurs first), with members and search digests."""
    rng, today, now = random.Random(17), hub.clock().date(), hub.clock()
    members = [m[0] for m in MEMBERS[1:]]
    with hub.engine.begin() as conn:
        for start in range(0, count, 5000):
            ids = [f"prt_banc{n:012d}" for n in range(start, min(count, start + 5000))]
            conn.execute(sa.insert(index_table), [{
                "porteur_id": i, "stage": rng.choice(STAGES), "active": True,
                "commune_insee": rng.choice(["63003", "63430", "63010"]), "commune": "Ambert",
                "first_contact": today - dt.timedelta(days=rng.randrange(1, 1500)),
                "last_news": today - dt.timedelta(days=rng.randrange(0, 40)),
                "has_referent": True, "has_parrain": rng.random() < 0.3,
                "refreshed_at": now} for i in ids])
            conn.execute(sa.insert(porteur_index_members), [
                {"porteur_id": i, "member_id": m} for i in ids
                for m in rng.sample(members, rng.randint(1, 3))])
            figures = [{"porteur_id": i, "first_month": (today - dt.timedelta(
                days=rng.randrange(1, 1500))).isoformat()[:7], "avec_referent": True,
                "installations": rng.random() < 0.2, "finances_pfil": rng.random() < 0.1}
                for i in ids]
            conn.execute(sa.insert(porteur_figures), figures)
            conn.execute(sa.insert(porteur_figure_members), [
                {**row, "member_id": m} for row in figures
                for m in rng.sample(members, rng.randint(1, 3))])
            conn.execute(sa.insert(porteur_search_keys), [
                {"porteur_id": i, "digest": porteur_index.search_digest(hub, f"mot:X{i}{k}")}
                for i in ids for k in range(3)])


def _first_page_ids(hub: Hub) -> list[str]:
    with hub.engine.connect() as conn:
        return [row[0] for row in conn.execute(
            sa.select(index_table.c.porteur_id).where(sa.not_(index_table.c.has_referent))
            .order_by(index_table.c.porteur_id).limit(50))]


def _bare(hub: Hub, porteur_ids: list[str]) -> int:
    with hub.uow() as uow:
        return len(uow.fiche_reads.current(porteur_ids))


def _sign_in(client: TestClient, login: str = "banc") -> None:
    token = _csrf(client.get("/console/connexion").text)
    answer = client.post("/console/connexion", data={"csrf": token, "login": login,
                                                     "password": PASSWORD})
    assert answer.status_code == 200, answer.status_code


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page)[1]  # type: ignore[index]


if __name__ == "__main__":
    main()
