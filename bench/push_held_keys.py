"""A push of new versions of fiches the hub holds (PostgreSQL): what holding their key rows
costs (`FicheKeys.hold`: their buckets and key rows FOR SHARE until the commit) against
the unlocked read it replaced (`FicheKeys.erased`), measured in the same run, in rounds
alternating which side goes first; the medians' ratio is printed with each side's wall
time and database backends' CPU a fiche.

    nice -n 5 .venv/bin/python bench/push_held_keys.py [--fiches 2000] [--batch 500]
                                                       [--rounds 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cpu_meter as cpu_meter
import sqlalchemy as sa
from _stores import postgres_url
from ingest import MEMBER, NETWORK, workload
from sqlalchemy.pool import NullPool

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept
from hub.store.sealing import FicheKeys
from tests.factories import record_consents

HELD = FicheKeys.hold


def _unlocked(self: FicheKeys, fiche_pks: object) -> set[int]:
    """The read before: no lock, the keys as committed when read."""
    return self.erased(fiche_pks)  # type: ignore[arg-type]


def _push_versions(hub: Hub, caller: Caller, documents: list[dict], version: int,
                   batch: int, meter: sa.Engine) -> tuple[float, float]:
    """(wall s, backends' CPU s) to push `version` of every document."""
    fiches = [{**d, "version": version} for d in documents]
    backend0, wall0 = cpu_meter.backend_cpu(meter), time.perf_counter()
    for start in range(0, len(fiches), batch):
        answer = accept.push_batch(hub, caller, fiches[start:start + batch])
        if answer["accepted"] != len(fiches[start:start + batch]):
            raise SystemExit(f"not all accepted: {answer['results'][:2]}")
    return time.perf_counter() - wall0, cpu_meter.backend_cpu(meter) - backend0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fiches", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with postgres_url() as url, tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"HUB_DATA_DIR": folder, "HUB_LOG_LEVEL": "WARNING",
                                      "HUB_DATABASE_URL": url, "HUB_BROKER_URL": ""})
        hub = Hub.from_settings(settings)
        load_network(hub, NETWORK, Path(folder) / "credentials")
        with hub.uow() as uow:
            member = next(m for m in uow.members.all() if m.id == MEMBER)
        caller = Caller(member.id, member.name, member.kind, member.role)
        documents = workload("H", args.fiches, seed=3)
        record_consents(hub, documents)
        _push_versions(hub, caller, documents, 1, args.batch, hub.engine)
        with hub.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        meter = sa.create_engine(hub.engine.url, poolclass=NullPool)
        sides: dict[str, list[tuple[float, float]]] = {"unlocked (before)": [], "held (now)": []}
        version = 1
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                FicheKeys.hold = HELD if side == "held (now)" else _unlocked  # type: ignore[method-assign]
                version += 1
                sides[side].append(
                    _push_versions(hub, caller, documents, version, args.batch, meter))
        FicheKeys.hold = HELD  # type: ignore[method-assign]
        meter.dispose()
        hub.close()
    medians = {side: (statistics.median(w for w, _c in runs), statistics.median(c for _w, c in runs))
               for side, runs in sides.items()}
    for side, (wall, cpu) in medians.items():
        print(f"{side}: {1000 * wall / args.fiches:.3f} ms/fiche wall, database backends "
              f"{1000 * cpu / args.fiches:.3f} ms/fiche CPU (median of {args.rounds})")
    (base_wall, base_cpu), (wall, cpu) = medians["unlocked (before)"], medians["held (now)"]
    print(f"held / unlocked: wall {wall / base_wall:.3f}, backends CPU {cpu / base_cpu:.3f}")


if __name__ == "__main__":
    main()
