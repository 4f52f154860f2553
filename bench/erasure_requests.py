"""What a member's erasure request tells by its duration: does the answer take longer when
other members hold the person (their requests and notices are written in the same
transaction) than when nobody else does? On SQLite or PostgreSQL, alternating round by
round:
- baseline: a member erases its fiche of a person nobody else holds;
- asked: the same member erases its fiche of a person `--owners` other members hold (each
  asked, its request and notice written, who may be named to whom decided first).

Prints the medians, the ratio and the difference: the difference is what a member could
try to read from the timing (docs/privacy.md, "Erasure requests: who learns what").

    .venv/bin/python bench/erasure_requests.py [--rounds 9] [--owners 3] [--store sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _stores import postgres_url

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import erasure
from hub.store.migrate import upgrade
from tests.factories import make_fiche, other_porteur, record_consents
from tests.fakes.publisher import RecordingPublisher

REQUESTER = Caller("commune-thiers", "", "commune", "accueil")


def _network(folder: Path, owners: int) -> list[Caller]:
    others = [Caller(f"membre-{n}", "", "cci", "accompagnement") for n in range(owners)]
    members = [{"id": c.member_id, "nom": c.member_id, "nature": c.kind, "role": c.role,
                "contact": {"courriel": f"{c.member_id}@exemple.fr"}}
               for c in [REQUESTER, *others]]
    (folder / "network.json").write_text(json.dumps({"reseau": "bench", "membres": members}))
    return others


def _push(hub: Hub, caller: Caller, fiche_id: str, person: int) -> None:
    document = make_fiche(member=caller.member_id, fiche_id=fiche_id,
                          porteur=other_porteur(person))
    document["accompagnement"][0]["structure"] = caller.member_id
    # for financing only: nothing is sent between these members, so the two cases differ
    # only by the other owners asked (the `erased` notices to recipients are not measured)
    record_consents(hub, [document], roles_destinataires=["financement"])
    assert ingest.push_batch(hub, caller, [document])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])


def _timed(hub: Hub, fiche_id: str) -> float:
    start = time.perf_counter()
    erasure.request_erasure(hub, REQUESTER, {"fiche_id": fiche_id})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--owners", type=int, default=3)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, (
            contextlib.nullcontext(f"sqlite:///{Path(tmp) / 'hub.sqlite3'}")
            if args.store == "sqlite" else postgres_url()) as url:
        folder = Path(tmp)
        if args.store == "sqlite":
            upgrade(url)
        others = _network(folder, args.owners)
        hub = Hub.from_settings(Settings(data_dir=folder / "data", database_url=url),
                                publisher=RecordingPublisher())
        load_network(hub, folder / "network.json", folder / "creds")
        alone, asked = [], []
        for n in range(args.rounds):
            known, lonely = 2 * n + 1, 2 * n + 2
            for owner in others:
                _push(hub, owner, f"K-{n}", known)
            _push(hub, REQUESTER, f"R-KNOWN-{n}", known)
            _push(hub, REQUESTER, f"R-ALONE-{n}", lonely)
            pair = [("alone", f"R-ALONE-{n}"), ("asked", f"R-KNOWN-{n}")]
            for kind, fiche_id in pair if n % 2 else reversed(pair):
                (alone if kind == "alone" else asked).append(_timed(hub, fiche_id))
        hub.close()
    base, with_owners = statistics.median(alone), statistics.median(asked)
    print(f"{args.store}, {args.rounds} rounds, {args.owners} other owners")
    print(f"baseline (nobody else holds the person): {base * 1000:.1f} ms")
    print(f"asked ({args.owners} other owners asked):     {with_owners * 1000:.1f} ms")
    print(f"ratio {with_owners / base:.2f}x, difference {(with_owners - base) * 1000:.1f} ms "
          f"(spread of the baseline: {(max(alone) - min(alone)) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
