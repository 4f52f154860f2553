"""Ingest with consent checks on versus off, same run, same store, same fiches.

Run: .venv/bin/python bench/consent_ingest.py [--fiches N] [--rounds R] [--no-postgres]

Each round pushes N fiches in batches of 500 through `ingest.push_batch` and has them
processed by `processing.process_outbox` (routing to three members, projection,
deliveries, audit events: the worker's whole path, in process), once with the real
consent registry (check at push, check per recipient at planning) and once with a
registry that covers everything without looking anything up: the consent checks are
the only difference. Fresh database per run; the best of R rounds is kept for each.
Prints fiches/s for both and the ratio on/off (1.0 = consent costs nothing).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

from _stores import postgres_url as pg_database
from _stores import sqlite_url as sqlite_database

from capactif_demo.consent_examples import example_record
from consent.decision import Decision, Reason
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.store.migrate import upgrade
from tests.factories import ALL_PURPOSES, ALL_ROLES, make_fiche, record_consents
from tests.fakes.publisher import RecordingPublisher

OWNER = Caller("commune-ambert", "Mairie", "commune", "accueil")
BATCH = 500
_COVERED = Decision(True, Reason.COVERED)


class CoversEverything:
    """The consent registry's interface as ingest and planning use it, answering "covered"
    without any lookup (the 'off' side of the comparison; never used by the hub)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._record = example_record(ALL_PURPOSES, ALL_ROLES)

    def prefetch(self, fiches: Any) -> None:
        pass

    def consent_for_fiche(self, member_id: str, fiche_id: str, reference: str) -> Any:
        return dataclasses.replace(self._record, member_id=member_id, fiche_id=fiche_id,
                                   expires_at=self._record.expires_at.replace(year=2100))

    def decide_for_fiche(self, *args: Any, **kwargs: Any) -> Decision:
        return _COVERED

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def network(path: Path) -> Path:
    members = [{"id": m, "nom": m, "nature": kind, "role": role,
                "contact": {"courriel": f"{m}@exemple.fr"},
                "abonnements": [{"communes": ["63003"]}]}
               for m, kind, role in [(OWNER.member_id, "commune", "accueil"),
                                     ("cci-thiers", "cci", "accompagnement"),
                                     ("pfil-livradois", "pfil", "financement"),
                                     ("cc-ambert", "epci", "accueil")]]
    path.write_text(json.dumps({"reseau": "bench", "membres": members}))
    return path


def run(url: str, workdir: Path, fiches: int, consent_on: bool) -> float:
    upgrade(url)
    hub = Hub.from_settings(Settings(data_dir=workdir / "data", database_url=url),
                            publisher=RecordingPublisher())
    try:
        load_network(hub, network(workdir / "network.json"), workdir / "creds")
        documents = [make_fiche(member=OWNER.member_id, fiche_id=f"B-{n:06d}")
                     for n in range(fiches)]
        record_consents(hub, documents)  # recorded before the clock starts, both sides
        if not consent_on:
            hub = dataclasses.replace(hub, consents=CoversEverything(hub.consents))
        started = time.perf_counter()
        for start in range(0, fiches, BATCH):
            answer = ingest.push_batch(hub, OWNER, documents[start:start + BATCH])
            assert answer["accepted"] == len(documents[start:start + BATCH]), answer["results"][:1]
            processing.process_outbox(hub, hub.publisher.published[-1])
        return fiches / (time.perf_counter() - started)
    finally:
        hub.close()


@contextmanager
def sqlite_store() -> Iterator[tuple[str, Path]]:
    with sqlite_database(migrate=False) as url, tempfile.TemporaryDirectory() as directory:
        yield url, Path(directory)


@contextmanager
def postgres_store() -> Iterator[tuple[str, Path]]:
    with pg_database(migrate=False) as url, tempfile.TemporaryDirectory() as directory:
        yield url, Path(directory)


def measure(name: str, store: Any, fiches: int, rounds: int) -> None:
    best = {True: 0.0, False: 0.0}
    for _ in range(rounds):
        for consent_on in (True, False):
            with store() as (url, workdir):
                best[consent_on] = max(best[consent_on], run(url, workdir, fiches, consent_on))
    print(f"{name:11s} consent on {best[True]:7.0f} fiches/s | off {best[False]:7.0f} fiches/s"
          f" | ratio on/off {best[True] / best[False]:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fiches", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"ingest + processing in process, {args.fiches} fiches, 3 recipients each, "
          f"best of {args.rounds} rounds")
    measure("sqlite", sqlite_store, args.fiches, args.rounds)
    if not args.no_postgres:
        measure("postgresql", postgres_store, args.fiches, args.rounds)


if __name__ == "__main__":
    main()
