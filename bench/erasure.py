"""Cost of an erasure that cannot be undone, at 100k fiches, on SQLite and PostgreSQL.

The store is bulk-loaded like the matching benchmark (fiches, wrapped keys, sealed index
identities, keyed digests). Timed, alternating round by round on different fiches:
- baseline: the former erasure's store work (the wrapped key set to NULL, the fiche out
  of the match index, one transaction);
- final: the same through `final_erasure` (the bucket's other keys re-wrapped under a
  fresh KEK, the old KEK destroyed in the key file with fsync, then SQLite's TRUNCATE
  checkpoint or PostgreSQL's VACUUM of the key and index tables).

    .venv/bin/python bench/erasure.py [--size 100000] [--rounds 7] [--store sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _population import generate
from _store_index import build
from _stores import postgres_url

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.privacy.key_rotation import final_erasure
from hub.store.erasure_tables import fiche_keys
from tests.fakes.publisher import RecordingPublisher


def _former(hub: Hub, pk: int) -> None:
    now = dt.datetime.now(dt.UTC)
    with hub.uow() as uow:
        uow.connection.execute(sa.update(fiche_keys).where(fiche_keys.c.fiche_pk == pk)
                               .values(wrapped_key=None, destroyed_at=now))
        uow.matching.forget([pk], now)
        uow.commit()


def _final(hub: Hub, pk: int) -> None:
    now = dt.datetime.now(dt.UTC)
    with final_erasure(hub), hub.uow() as uow:
        uow.keys.destroy([pk], now)
        uow.matching.forget([pk], now)
        uow.commit()


def _run(url: str, data_dir: Path, size: int, rounds: int) -> None:
    rows, truth = generate(size, seed=5)
    started = time.perf_counter()
    build(url, data_dir, rows, truth)
    built = time.perf_counter() - started
    hub = Hub.from_settings(Settings(data_dir=data_dir, database_url=url),
                            publisher=RecordingPublisher())
    victims = random.Random(1).sample(range(1, size + 1), 2 * rounds)
    timings: dict[str, list[float]] = {"former": [], "final": []}
    for round_number in range(rounds):  # alternate: the machine is shared and noisy
        for name, erase in (("former", _former), ("final", _final)):
            pk = victims.pop()
            began = time.perf_counter()
            erase(hub, pk)
            timings[name].append(time.perf_counter() - began)
        print(f"  round {round_number + 1}: former {timings['former'][-1] * 1000:.1f} ms, "
              f"final {timings['final'][-1] * 1000:.1f} ms", flush=True)
    hub.close()
    former, final = (statistics.median(timings[k]) * 1000 for k in ("former", "final"))
    print(f"store {url.split(':')[0]}: {size} fiches (bulk-loaded in {built:.0f} s); erasure of "
          f"one fiche, median of {rounds}: final {final:.1f} ms, baseline (former erasure) "
          f"{former:.1f} ms; ratio {final / former:.1f}x", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    for store in args.store or ["sqlite", "postgresql"]:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "data"  # keys go to data-keys, inside tmp too
            if store == "sqlite":
                _run(f"sqlite:///{data_dir}/hub.sqlite3", data_dir, args.size, args.rounds)
            else:
                with postgres_url(migrate=False) as url:
                    _run(url, data_dir, args.size, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
