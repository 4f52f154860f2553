"""Connector throughput: records/s from a French CSV export to accepted at the hub.

Measured in the same run, on the same generated export (`;`, cp1252, dd/mm/yyyy,
decimal commas, mixed phone formats):

  1. baseline: raw CSV parsing (decode + csv.reader), no mapping;
  2. connector: CsvSource -> mapping -> local validation -> signed batches of 500 -> hub;
  3. direct push: the same fiches, already mapped, pushed in batches of 500 by HubClient
     (what the hub ingests when the connector costs nothing).

Ratios printed: connector / raw parsing, and connector / direct push (the issue's
target is >= 0.8: the connector must not be the bottleneck).

By default the hub is `connectors.sim.hub_stub.HubStub` in-process, accepting every
fiche (it still checks each request's signature). Point it at a real hub with
`--credentials FILE` (the hub URL is in the file); fiche ids are prefixed per run so
reruns are not duplicates.

    .venv/bin/python bench/connector.py --lines 100000
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.checkpoint import Checkpoint  # noqa: E402
from connectors.client import HubClient  # noqa: E402
from connectors.csv_source import CsvSource  # noqa: E402
from connectors.mapping import Mapping  # noqa: E402
from connectors.rejects import RejectsFile  # noqa: E402
from connectors.runner import Runner  # noqa: E402
from connectors.sim.hub_stub import HubStub  # noqa: E402
from connectors.sim.spreadsheet import write_export  # noqa: E402

MAPPING = ROOT / "examples" / "connectors" / "commune-tableur" / "correspondance.json"


def raw_parse(path: Path) -> tuple[int, float]:
    start = time.perf_counter()
    text = path.read_bytes().decode("cp1252")
    rows = sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=";")) - 1
    return rows, time.perf_counter() - start


def connector_run(mapping: Mapping, path: Path, client: HubClient, work: Path) -> tuple[int, float]:
    runner = Runner(CsvSource(mapping, path), client, Checkpoint(work / "reprise.json"),
                    RejectsFile(work / "rejets.jsonl"))
    start = time.perf_counter()
    summary = runner.run()
    elapsed = time.perf_counter() - start
    if not summary.complete:
        raise SystemExit(f"run stopped: {summary.stopped}")
    return summary.accepted, elapsed


def mapped_fiches(mapping: Mapping, path: Path, member: str, prefix: str) -> list[bytes]:
    """The fiches the connector would send, serialised (kept compact in memory)."""
    source, out = CsvSource(mapping, path), []
    for record in source.changes(None):
        fiche = source.to_fiche(record)
        fiche.update(fiche_id=prefix + source.mapping.fiche_id(record.key or ""), membre=member,
                     version=1, mis_a_jour_le=record.modified_at.isoformat(timespec="seconds"))
        out.append(orjson.dumps(fiche))
    return out


def direct_push(client: HubClient, fiches: list[bytes]) -> tuple[int, float]:
    accepted, start = 0, time.perf_counter()
    for first in range(0, len(fiches), 500):
        batch = [orjson.loads(raw) for raw in fiches[first:first + 500]]
        accepted += len(client.push_fiches(batch).accepted)
    return accepted, time.perf_counter() - start


def clients(args: argparse.Namespace, stub: HubStub | None) -> tuple[HubClient, HubClient]:
    if args.credentials:
        return (HubClient.from_credentials_file(args.credentials),
                HubClient.from_credentials_file(args.credentials))
    assert stub is not None
    one, two = stub.add_member("commune-bench"), stub.add_member("commune-direct")
    return (HubClient(stub.url, one["membre"], one["token"], one["cle_privee"]),
            HubClient(stub.url, two["membre"], two["token"], two["cle_privee"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--credentials", help="credentials file of a member of a real hub")
    args = parser.parse_args()
    stub = None if args.credentials else HubStub(validate=False)
    if stub:
        stub.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            path = write_export(work / "export.csv", args.lines, encoding="cp1252")
            run_client, direct_client = clients(args, stub)
            tag = secrets.token_hex(3)
            data = json.loads(MAPPING.read_text(encoding="utf-8"))
            data["identifiant"]["prefixe"] = f"B{tag}-"
            mapping = Mapping.from_dict(data)
            rows, raw_s = raw_parse(path)
            sent, run_s = connector_run(mapping, path, run_client, work)
            fiches = mapped_fiches(mapping, path, direct_client.member_id, "D")
            pushed, push_s = direct_push(direct_client, fiches)
    finally:
        if stub:
            stub.stop()
    raw_rate, run_rate, push_rate = rows / raw_s, sent / run_s, pushed / push_s
    hub = "real hub" if args.credentials else "in-process hub stub"
    print(f"lines={rows} hub={hub}")
    print(f"baseline raw CSV parsing      : {raw_rate:12,.0f} records/s ({raw_s:.2f} s)")
    print(f"connector CSV->hub (accepted) : {run_rate:12,.0f} records/s ({run_s:.2f} s, "
          f"{sent} accepted)")
    print(f"direct push of mapped fiches  : {push_rate:12,.0f} records/s ({push_s:.2f} s, "
          f"{pushed} accepted)")
    print(f"ratio connector / raw parsing : {run_rate / raw_rate:.3f}")
    print(f"ratio connector / direct push : {run_rate / push_rate:.3f} (target >= 0.8)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
