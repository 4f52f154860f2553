"""Profile the API's push in-process (not a benchmark: a tool to see where the time goes).
Builds the real FastAPI app over an embedded or PostgreSQL store, signs batches as a
connector does (`connectors.http_signatures`) and sends them through the ASGI app with
the thread pool run inline, so that cProfile sees the whole request: middlewares, the
signature, the body's checks, validation, consent, the write transaction, the answer.

    .venv/bin/python bench/_profile_api.py [--fiches 3000] [--batch 500] [--sqlite]
                                           [--out .prof/api.prof] [--no-profile] [--cpu]
                                           [--stages] [--default-gc]

Prints the API's CPU a fiche (this process, signing left out) and, on PostgreSQL, the
database backends' CPU a fiche; then the profile's heaviest functions, or with --stages
each stage's own CPU a fiche (`_stages.py`). The collector is tuned as `capactif serve`
tunes it unless --default-gc.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cpu_meter as cpu_meter
import _stages as stages
import fastapi.dependencies.utils
import fastapi.routing
import httpx
import orjson
import sqlalchemy as sa
from _profile_worker import _collector_timer
from _stores import postgres_url
from ingest import MEMBER, NETWORK, workload
from sqlalchemy.pool import NullPool

import hub.api.auth
from connectors.http_signatures import sign_request_rfc9421
from connectors.signing import load_private_key
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.collector import tune_for_batches
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ops.admin import initialise
from tests.factories import record_consents

# stage: (module, attribute path) of each function counted under it (bench/_stages.py)
STAGES: dict[str, list[tuple[str, str]]] = {
    "signature, nonce read, rate limit": [("hub.api.auth", "_checked")],
    "body: parse (orjson) and the rest": [("hub.api.routes_fiches", "json_body")],
    "body: depth": [("hub.api.bodies", "_depth")],
    "body: names given twice": [("hub.api.bodies", "duplicate_key_path")],
    "NUL characters": [("hub.services.ingest.accept", "_holding_nul")],
    "consents read (prefetch)": [("consent.registry", "ConsentRegistry.prefetch")],
    "schema validation": [("schemas.loader", "SchemaValidator.errors")],
    "consent check": [("hub.services.ingest.accept", "_consent_errors")],
    "statistics projection": [("hub.services.ingest.accept", "_statistics")],
    "content hash": [("hub.services.ingest.accept", "canonical_hash"),
                     ("hub.services.ingest.accept", "content_hash")],
    "push_batch's own (canonical JSON...)": [("hub.services.ingest.accept", "push_batch")],
    "nonce written": [("hub.services.accounts.auth", "PendingNonce.remember_within")],
    "fiches held (read)": [("hub.store.repositories", "Fiches.held")],
    "fiches inserted": [("hub.store.repositories", "Fiches.insert_fiches")],
    "fiche keys created (wrapped)": [("hub.store.sealing", "FicheKeys.create")],
    "current versions raised": [("hub.store.repositories", "Fiches.set_current_versions")],
    "versions inserted": [("hub.store.repositories", "Fiches.insert_versions")],
    "versions sealed": [("hub.store.sealing", "FicheKeys.seal")],
    "outbox rows": [("hub.store.repositories", "Outbox.add_many")],
    "receipts read, results": [("hub.services.ingest.accept", "_fill_results")],
    "store's own": [("hub.services.ingest.accept", "_store")],
    "access event built": [("hub.services.ingest.accept", "_push_event")],
    "access event written": [("hub.audit.log", "AuditLog.append_within")],
    "commit": [("hub.store.uow", "UnitOfWork.commit")],
    "unit of work opened": [("hub.bootstrap", "Hub.uow")],
    "published": [("hub.services.delivery.publisher", "CeleryPublisher.publish_outbox_safely")],
    "answer rendered": [("starlette.responses", "JSONResponse.render")],
}


async def _inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _run_inline() -> None:
    """The thread pool's work run in the event loop's thread: cProfile sees one thread."""
    for module in (fastapi.routing, fastapi.dependencies.utils, hub.api.auth):
        module.run_in_threadpool = _inline  # type: ignore[attr-defined]


async def _push_all(app: Any, batches: list[bytes], token: str, key: Any,
                    profile: cProfile.Profile | None) -> tuple[float, int]:
    """CPU seconds this process spent answering (signing left out), fiches accepted."""
    transport = httpx.ASGITransport(app=app)
    spent, accepted = 0.0, 0
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        for body in batches:
            headers = sign_request_rfc9421(key, token.partition(".")[0], "POST", "/v1/fiches",
                                           body)
            headers.update({"Authorization": f"Bearer {token}",
                            "Content-Type": "application/json"})
            cpu0 = time.process_time()
            if profile is not None:
                profile.enable()
            answer = await client.post("/v1/fiches", content=body, headers=headers)
            if profile is not None:
                profile.disable()
            spent += time.process_time() - cpu0
            if answer.status_code != 202:
                raise SystemExit(f"push answered {answer.status_code}: {answer.text[:500]}")
            accepted += answer.json()["accepted"]
    return spent, accepted


def _measure(url: str, data_dir: Path, args: argparse.Namespace) -> None:
    """Push args.fiches fiches through the app of a hub on `url` (empty: SQLite in
    `data_dir`) and print what the API and the database spent."""
    settings = Settings.from_env({"HUB_DATA_DIR": str(data_dir), "HUB_LOG_LEVEL": "WARNING",
                                  "HUB_DATABASE_URL": url, "HUB_BROKER_URL": ""})
    initialise(settings)
    hub = Hub.from_settings(settings)  # embedded broker: its messages stay in data_dir
    load_network(hub, NETWORK, settings.data_dir / "credentials")
    credentials = json.loads((settings.data_dir / "credentials" / f"{MEMBER}.json").read_text())
    key, token = load_private_key(credentials["cle_privee"]), credentials["token"]
    warm, documents = workload("W", args.batch, seed=1), workload("P", args.fiches, seed=2)
    record_consents(hub, warm + documents)
    if url:  # statistics, as autovacuum keeps them on a running hub
        with hub.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    app = create_app(hub=hub)
    asyncio.run(_push_all(app, [orjson.dumps({"fiches": warm})], token, key, None))
    batches = [orjson.dumps({"fiches": documents[s:s + args.batch]})
               for s in range(0, len(documents), args.batch)]
    count = len(documents)
    del warm, documents  # the API process holds no such heap of fiches: its collections
    gc.collect()  # would scan them
    meter = sa.create_engine(hub.engine.url, poolclass=NullPool)
    backend0 = cpu_meter.backend_cpu(meter)
    if args.stages:
        stages.install(STAGES)
        args.no_profile = True
    timer = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
    profile = None if args.no_profile else timer
    collector = _collector_timer()
    spent, accepted = asyncio.run(_push_all(app, batches, token, key, profile))
    backend = cpu_meter.backend_cpu(meter) - backend0
    meter.dispose()
    hub.close()
    print(f"{accepted} of {count} fiches accepted: API CPU {1000 * spent / count:.3f} ms/fiche"
          + (" (profiled)" if profile else "") + f", database backends CPU "
          f"{1000 * backend / count:.3f} ms/fiche; garbage collector {collector[0]:.0f} runs, "
          f"{1000 * collector[1] / count:.3f} ms/fiche (wall)")
    if args.stages:
        stages.SPENT["rest (framework, middlewares, ASGI)"] += spent - sum(stages.SPENT.values())
        stages.report(count, "API")
    if profile is not None:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        profile.dump_stats(args.out)
        stats = pstats.Stats(args.out)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fiches", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--out", default=".prof/api.prof")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--cpu", action="store_true",
                        help="profile CPU time (time.process_time), not wall: waits on the "
                             "database drop out of the profile")
    parser.add_argument("--stages", action="store_true",
                        help="print each stage's own CPU a fiche (no cProfile)")
    parser.add_argument("--default-gc", action="store_true",
                        help="keep Python's collector thresholds (`capactif serve` tunes them)")
    args = parser.parse_args()
    if not args.default_gc:  # as the API process (`capactif serve`)
        tune_for_batches()
    _run_inline()
    with tempfile.TemporaryDirectory() as tmp:
        if args.sqlite:
            _measure("", Path(tmp), args)
            return
        with postgres_url(migrate=False) as url:
            _measure(url, Path(tmp), args)


if __name__ == "__main__":
    main()
