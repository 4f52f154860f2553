"""The DPO's access-log pages with a long journal, beside a bare query measured in the
same run: the newest page of the log with no criterion (a `LIMIT` on the journal's
primary key), which every search page must at least do.

    nice .venv/bin/python bench/dpo_journal.py [--events 50000] [--about 5000]
                                               [--rounds 5] [--db sqlite|postgresql|both]

On the console world (tests/console_world.py), `--about` events are appended about one
porteur (F-INSTALLE's: reads of its fiche by several members over months) and `--events`
about others, through the access log itself (hash-chained, in batches). Each page is
requested through the app (ASGI, in process) by a signed-in DPO; rounds alternate the
pages and the baseline; the median of each is printed with its ratio to the baseline and
the machine's load. Target: every page under 300 ms at a load under 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient

from bench._stores import postgres_url, sqlite_url
from hub.api.app import create_app
from hub.audit.events import AccessEvent
from hub.bootstrap import Hub
from hub.services.accounts import users as accounts
from hub.services.audit import trail
from tests.console_world import MEMBERS, build_world, console_hub
from tests.factories import Clock

PASSWORD = "mot-de-passe-du-banc"
BATCH = 2000


def _events(hub: Hub, porteur_id: str, count: int, start: dt.datetime,
            fiche: tuple[str, str] | None) -> None:
    """`count` reads of the porteur's data, spread over the year before `start`."""
    members = [m[0] for m in MEMBERS]
    ref, fiche_refs = trail.porteur_ref(hub, porteur_id), \
        (trail.fiche_ref(hub, *fiche),) if fiche else ()
    for first in range(0, count, BATCH):
        hub.audit.append_many([AccessEvent(
            at=start - dt.timedelta(minutes=(count - n) * 97 % 525_600), actor_member=
            members[n % len(members)], action=("api_read", "feed_pull", "porteur_view")[n % 3],
            outcome="allowed", porteur_ref=ref, fiche_refs=fiche_refs,
            fields=("porteur.nom", "projet.intitule"), purpose="accompagnement")
            for n in range(first, min(count, first + BATCH))])


def run(url: str, folder: Path, args: argparse.Namespace) -> None:
    clock = Clock()
    hub = console_hub(url, folder, clock)
    try:
        world = build_world(hub, folder)
        porteur = world["porteurs"]["F-INSTALLE"]
        started = time.perf_counter()
        _events(hub, porteur, args.about, clock(), ("cci-puy-de-dome", "F-INSTALLE"))
        for n in range(10):
            _events(hub, f"prt_banc_{n}", args.events // 10, clock(), None)
        print(f"  set-up {time.perf_counter() - started:.0f} s, "
              f"{hub.audit.count()} events in the journal")
        accounts.add_user(hub, "banc-dpo", "dpo", PASSWORD)
        with TestClient(create_app(hub=hub), base_url="https://127.0.0.1") as officer:
            page = officer.get("/console/connexion").text
            officer.post("/console/connexion", data={
                "csrf": _csrf(page), "login": "banc-dpo", "password": PASSWORD})
            token = _csrf(officer.get("/console/dpo/journal").text)
            year_ago = (clock() - dt.timedelta(days=365)).date().isoformat()
            month_ago = (clock() - dt.timedelta(days=30)).date().isoformat()

            def search(**form: str) -> Callable[[], object]:
                return lambda: officer.post("/console/dpo/journal", data={"csrf": token, **form})

            pages = {
                "log, by member over a month": search(membre="cci-puy-de-dome",
                                                      depuis=month_ago),
                "log, by porteur": search(porteur=porteur),
                "log, by porteur, page 20": search(porteur=porteur, aller="20"),
                "log, by porteur + member + year": search(
                    porteur=porteur, membre="pfil-livradois-forez", depuis=year_ago),
                "CSV export, by porteur + member": lambda: officer.post(
                    "/console/dpo/export.csv", data={"csrf": token, "porteur": porteur,
                                                     "membre": "pfil-livradois-forez"}),
                "access report": lambda: officer.get(f"/console/dpo/rapport/{porteur}"),
                "consents": lambda: officer.get("/console/dpo/consentements"),
            }
            baseline = search()
            times: dict[str, list[float]] = {name: [] for name in [*pages, "baseline"]}
            for _ in range(args.rounds):
                for name, call in [*pages.items(), ("baseline", baseline)]:
                    begin = time.perf_counter()
                    answer = call()
                    times[name].append(time.perf_counter() - begin)
                    status = getattr(answer, "status_code", 200)
                    assert status == 200, f"{name}: {status}"
        base = statistics.median(times["baseline"])
        print(f"  baseline: the log's newest page, no criterion  {base * 1000:7.1f} ms")
        for name in pages:
            median = statistics.median(times[name])
            verdict = "ok" if median < 0.3 else "OVER 300 ms"
            print(f"  {name:36s} {median * 1000:7.1f} ms  ×{median / base:5.1f}  {verdict}")
        print(f"  load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        hub.close()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--about", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="postgresql")
    args = parser.parse_args()
    stores = {"sqlite": sqlite_url, "postgresql": postgres_url}
    print(f"load before {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        with stores[name]() as url, tempfile.TemporaryDirectory() as folder:
            print(f"{name}: {args.events} events about others, {args.about} about one porteur")
            run(url, Path(folder), args)


if __name__ == "__main__":
    main()
