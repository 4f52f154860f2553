"""Online matching against the hub's real store: a migrated database (SQLite file or
PostgreSQL) whose blocking index (`match_keys`, `match_records`) holds N porteurs, and
the worker's own code path (`OnlineMatcher.match`) timed against a baseline measured in
the same run: one primary-key lookup of a fiche in the same database."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from pathlib import Path

import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.matching import OnlineMatcher, identity_of, matching_model
from hub.services.publisher import RecordingPublisher
from hub.store.matching_repository import key_digest
from hub.store.matching_tables import match_keys, match_records
from hub.store.migrate import upgrade
from hub.store.tables import fiches, members, porteurs

CHUNK = 5_000


def as_porteur(row: dict[str, str]) -> dict:
    """A CSV row of the synthetic population as a fiche's `porteur` object."""
    flat = {k: v for k, v in row.items() if v and k != "id"}
    address = {k: flat.pop(f"adresse_{k}" if k == "ligne" else k) for k in
               ("ligne", "code_postal", "commune") if flat.get(f"adresse_{k}" if k == "ligne" else k)}
    return {**flat, **({"adresse": address} if address else {})}


def build(database_url: str, data_dir: Path, rows, truth) -> Hub:
    upgrade(database_url)
    hub = Hub.from_settings(Settings(data_dir=data_dir, database_url=database_url),
                            publisher=RecordingPublisher())
    model, now = matching_model(hub), dt.datetime.now(dt.UTC)
    with hub.engine.begin() as conn:
        conn.execute(sa.insert(members).values(id="bench", name="bench", kind="cci",
                                               role="accueil", contact_email="b@exemple.fr",
                                               territory=[], created_at=now, updated_at=now))
    for start in range(0, len(rows), CHUNK):
        with hub.engine.begin() as conn:
            _insert(conn, rows[start:start + CHUNK], truth[start:start + CHUNK], start, model, now)
    return hub


def _insert(conn, rows, truth, offset, model, now) -> None:
    from hub.domain.matching.decision import record_blocking_keys

    people = {f"P{t}" for t in truth}
    existing = set(conn.execute(sa.select(porteurs.c.id).where(porteurs.c.id.in_(people))).scalars())
    conn.execute(sa.insert(porteurs), [{"id": p, "created_at": now, "status": "active"}
                                       for p in sorted(people - existing)])
    conn.execute(sa.insert(fiches), [
        {"id": offset + i + 1, "member_id": "bench", "fiche_id": row["id"], "current_version": 1,
         "processed_version": 1, "porteur_id": f"P{t}", "created_at": now, "updated_at": now}
        for i, (row, t) in enumerate(zip(rows, truth, strict=True))])
    records, keys = [], []
    for i, (row, t) in enumerate(zip(rows, truth, strict=True)):
        identity = identity_of(as_porteur(row))
        records.append({"fiche_pk": offset + i + 1, "porteur_id": f"P{t}", "identity": identity,
                        "indexed_at": now})
        keys.extend({"key": d, "fiche_pk": offset + i + 1}
                    for d in dict.fromkeys(key_digest(k) for k in record_blocking_keys(identity, model)))
    conn.execute(sa.insert(match_records), records)
    conn.execute(sa.insert(match_keys), keys)


def measure(hub: Hub, probes, size: int) -> dict[str, float]:
    """Median ms of the online match and of the baseline, and their ratio."""
    rng = random.Random(3)
    online, baseline, kinds = [], [], []
    with hub.uow() as uow:
        matcher = OnlineMatcher(hub, uow)
        for row in probes:
            identity = identity_of(as_porteur(row))
            started = time.perf_counter()
            decision, _rows, _d = matcher.match(identity)
            online.append(time.perf_counter() - started)
            kinds.append(decision.kind)
            pk = rng.randint(1, size)
            started = time.perf_counter()
            uow.connection.execute(sa.select(fiches).where(fiches.c.id == pk)).first()
            baseline.append(time.perf_counter() - started)
    online_ms, base_ms = statistics.median(online) * 1000, statistics.median(baseline) * 1000
    return {"online_ms": online_ms, "p95_ms": sorted(online)[int(len(online) * 0.95)] * 1000,
            "baseline_ms": base_ms, "ratio": online_ms / base_ms,
            "linked": kinds.count("link") / len(kinds)}
