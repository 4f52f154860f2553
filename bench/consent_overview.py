"""The DPO's consents page with thousands of withdrawn consents: the previous way (every
consent of the fiches held read and opened to count them and sort the ended ones, then a
page of 50 and its acknowledgements in one query) against the page read now
(`dpo_console.consents_overview`: counted, sorted and paged by the database), on the same
data in the same run.

    nice .venv/bin/python bench/consent_overview.py [--consents 3000] [--rounds 5]
                                                    [--db sqlite|postgresql|both]

Each consent is recorded and withdrawn through the consent registry, on the console
world's fiches (tests/console_world.py); two withdrawal notices each (one acknowledged)
are inserted in bulk. Rounds alternate the two ways; the median of each is printed with
the ratio and the machine's load.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stores import postgres_url, sqlite_url
from hub.services.accounts.sessions import ConsoleSession
from hub.services.console import dpo_console
from hub.services.privacy.ack_status import members_left, status_of
from tests.console_world import PORTEURS, build_world, console_hub
from tests.factories import ALL_PURPOSES, Clock, record_consents

RECIPIENTS = ("cci-puy-de-dome", "pfil-livradois-forez")


def _withdrawn(hub: Any, count: int) -> None:
    """`count` consents on the world's fiches, withdrawn, with two notices each."""
    owners = [(owner, fiche_id) for owner, fiche_id, *_ in PORTEURS]
    now, rows = hub.clock(), []
    for n in range(count):
        owner, fiche_id = owners[n % len(owners)]
        fiche = {"fiche_id": fiche_id, "membre": owner,
                 "consentement": {"reference": f"CST-BENCH-{n}"}}
        [record] = record_consents(hub, [fiche], finalites=ALL_PURPOSES)
        hub.consents.withdraw(record.id, owner, now)
        rows += [{"kind": "withdrawal", "subject_id": record.id, "recipient_id": recipient,
                  "sent_at": now, "named": True,
                  "acknowledged_at": now if recipient == RECIPIENTS[0] else None}
                 for recipient in RECIPIENTS]
    acks = hub.consents._t.acks
    with hub.consents._writes.begin() as conn:
        conn.execute(acks.insert(), rows)


def _previous(hub: Any, session: ConsoleSession, per_page: int = 50) -> int:
    """The page as it was read before: every consent of the fiches held read and opened
    (`for_porteur`) to count them by status and sort the ended ones, then a page of
    their acknowledgements in one query."""
    now, delay, left = hub.clock(), hub.settings.notice_ack_delay, members_left(hub)
    with hub.uow() as uow:
        keys = uow.fiche_reads.keys()
    by_status: collections.Counter[str] = collections.Counter()
    ended = []
    for record in hub.consents.for_porteur(keys):
        status = record.status(now).value
        by_status[status] += 1
        if status != "active":
            ended.append((record.withdrawn_at() or record.expires_at, record.id))
    ended.sort(key=lambda e: (-e[0].timestamp(), e[1]))
    acks = hub.consents.acks_of(i for _at, i in ended[:per_page])
    assert all(status_of(a, now, delay, left) for found in acks.values() for a in found)
    dpo_console._log_page(hub, session)
    return len(ended)


def _paged(hub: Any, session: ConsoleSession) -> int:
    return dpo_console.consents_overview(hub, session)["total"]


def _median(action: Callable[[], int], rounds: list[float]) -> int:
    started = time.perf_counter()
    found = action()
    rounds.append(time.perf_counter() - started)
    return found


def run(url: str, consents: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        hub = console_hub(url, Path(folder), Clock())
        try:
            build_world(hub, Path(folder))
            _withdrawn(hub, consents)
            session = ConsoleSession("usr_dpo", "dpo", "dpo", "pnr-livradois-forez", "x",
                                     hub.clock() + dt.timedelta(hours=1))
            before: list[float] = []
            after: list[float] = []
            for _ in range(rounds):
                total = _median(lambda: _previous(hub, session), before)
                assert _median(lambda: _paged(hub, session), after) == total
            old, new = statistics.median(before), statistics.median(after)
            print(f"{url.split(':')[0]:<20} ended consents {total}: previous {old * 1000:8.1f} ms"
                  f", paged {new * 1000:8.1f} ms, ratio previous/paged {old / new:5.1f}x, "
                  f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consents", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    args = parser.parse_args()
    stores = {"sqlite": [sqlite_url], "postgresql": [postgres_url],
              "both": [sqlite_url, postgres_url]}[args.db]
    print(f"load before {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for store in stores:
        with store() as url:
            run(url, args.consents, args.rounds)


if __name__ == "__main__":
    main()
