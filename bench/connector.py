"""Connector throughput: records/s from a French CSV export to accepted at the real hub,
beside the hub's own ingest rate measured in the same run.

The export is generated with `capactif_demo.sim.spreadsheet.write_export` (`;`, cp1252,
dd/mm/yyyy, decimal commas, mixed phone formats, the commune's own stage labels). The
hub is the real one in its embedded default: `capactif serve` (API) and `capactif
worker` as subprocesses on SQLite and the file-system broker. Two fresh hubs are
cloned from one prepared data folder (network loaded, a consent recorded for every
row, all before any clock starts):

  1. connector: `Runner(CsvSource)` reads the CSV, maps, validates locally, hashes,
     pushes signed batches of 500 with one in flight, checkpoints each accepted batch;
  2. direct push: the same fiches, already mapped in memory, pushed in batches of 500
     by `HubClient.push_fiches` to the other fresh hub (the hub's own ingest rate: what
     it takes when the connector costs nothing).

Timed: from the first request to the last batch answered with every fiche accepted
(HTTP 202, per-item `accepted`): stored durably by the hub. Processing by the worker is
not waited for unless `--processed`, which also prints when the worker had processed
everything. Two hub set-ups (`--mode both`, the default):

  - API + worker, as deployed: the worker processes while fiches arrive, and on SQLite
    its write transactions hold the API's back (batches wait seconds for the lock), so
    the hub's rate is low and noisy and the connector's own cost hardly shows;
  - API only (worker stopped): the ingest path alone, several times faster, where the
    connector's CPU (on the same 2 cores as the API) is what can hold the hub back.

Also printed: raw CSV parsing (decode + csv.reader), the floor of any CSV connector.
With --rounds N, connector and direct runs alternate (N pairs); the best and the median
run of each kind are reported, with their ratios. With --cli, a third kind runs
`capactif connector run CONFIG` as the member's agent does (a process: start-up,
configuration, checkpoint and rejects files included), timed from the command's start to its exit.

With --withdrawals K, the connector's run is followed by a confirmed run of the export
without K of its rows (spread over the file), twice on fresh hubs: one `DELETE
/v1/fiches/...` a fiche (as before the batch route), then the connector's batches
(`POST /v1/fiches/{member}/withdrawals`); each call is timed from the request to the
answer, each run as a whole, and the ratio of the two runs printed.

    .venv/bin/python bench/connector.py [--lines 100000] [--rounds 1] [--cli]
                                        [--mode both|worker|api-only] [--processed]
                                        [--withdrawals K]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from capactif_demo.consent_examples import NOTICE_TEXT  # noqa: E402
from capactif_demo.processes import free_port, running, start_api, start_worker  # noqa: E402
from capactif_demo.scenario import consent_submission  # noqa: E402
from capactif_demo.sim.french_data import PeopleFactory  # noqa: E402
from capactif_demo.sim.spreadsheet import write_export  # noqa: E402
from connectors.checkpoint import Checkpoint  # noqa: E402
from connectors.client import HubClient  # noqa: E402
from connectors.csv_source import CsvSource  # noqa: E402
from connectors.errors import HubNotFound  # noqa: E402
from connectors.mapping import Mapping  # noqa: E402
from connectors.rejects import RejectsFile  # noqa: E402
from connectors.runner import WITHDRAWAL_BATCH, Runner  # noqa: E402
from hub.bootstrap import Hub  # noqa: E402
from hub.config import Settings  # noqa: E402
from hub.services.accounts.members import load_network  # noqa: E402
from hub.services.ingest.processing import pipeline_status  # noqa: E402
from hub.services.ops.admin import initialise  # noqa: E402
from tests.fakes.publisher import RecordingPublisher  # noqa: E402

MAPPING = ROOT / "examples" / "connectors" / "commune-tableur" / "correspondance.json"
NETWORK = ROOT / "examples" / "network.json"
MEMBER = "commune-thiers"
BATCH = 500


def prepare(base: Path, lines: int) -> tuple[Path, Path]:
    """The export, and a hub data folder with the network and one consent per row."""
    people = PeopleFactory(seed=63).people(lines)
    export = write_export(base / "export.csv", lines, encoding="cp1252", people=people)
    template = base / "template"
    settings = Settings.from_env(_env(template, free_port()))  # no API runs on it
    initialise(settings)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    try:
        load_network(hub, NETWORK, template / "credentials")
        notice = hub.consents.store_notice(NOTICE_TEXT)
        for person in people:
            dossier = f"2025-{person.number:05d}"
            fiche = {"membre": MEMBER, "fiche_id": f"COM-{dossier}",
                     "consentement": {"reference": f"CST-{dossier}"}}
            hub.consents.record(consent_submission(notice, fiche), MEMBER)
    finally:
        hub.close()
    return export, template


def _env(data_dir: Path, port: int) -> dict[str, str]:
    return {"HUB_DATA_DIR": str(data_dir), "HUB_PORT": str(port), "HUB_LOG_LEVEL": "WARNING",
            "HUB_DATABASE_URL": "", "HUB_BROKER_URL": ""}


class FreshHub:
    """A copy of the prepared hub, its API and worker running, and a member client."""

    def __init__(self, template: Path, data_dir: Path, worker: bool = True) -> None:
        shutil.copytree(template, data_dir)
        self.worker = worker
        self.port = free_port()
        self.env = _env(data_dir, self.port)
        self.data_dir = data_dir
        credentials = json.loads((data_dir / "credentials" / f"{MEMBER}.json").read_text())
        self.client = HubClient(f"http://127.0.0.1:{self.port}", MEMBER, credentials["token"],
                                credentials["cle_privee"])
        self._running: Any = None

    def __enter__(self) -> FreshHub:
        logs = self.data_dir / "logs"
        processes = [start_api(self.env, logs, self.port)]
        if self.worker:
            processes.append(start_worker(self.env, logs, "hub-worker"))
        self._running = running(processes)
        self._running.__enter__()
        with contextlib.suppress(HubNotFound):  # warm the API's signed path before any clock
            self.client.get_fiche(MEMBER, "echauffement")
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self._running.__exit__(*exc)

    def wait_processed(self, count: int, started: float) -> float:
        observer = Hub.from_settings(Settings.from_env(self.env), publisher=RecordingPublisher())
        try:
            while pipeline_status(observer)["processed"] < count:
                if time.perf_counter() - started > 3600:
                    raise TimeoutError("fiches not processed within an hour")
                time.sleep(0.2)
        finally:
            observer.close()
        return time.perf_counter() - started


def raw_parse(path: Path) -> tuple[int, float]:
    start = time.perf_counter()
    text = path.read_bytes().decode("cp1252")
    rows = sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=";")) - 1
    return rows, time.perf_counter() - start


def mapped_fiches(mapping: Mapping, path: Path) -> list[dict[str, Any]]:
    """The fiches the connector sends, mapped ahead of time (outside any clock)."""
    source, out = CsvSource(mapping, path), []
    for record in source.changes(None):
        fiche = source.to_fiche(record)
        fiche.update(fiche_id=mapping.fiche_id(record.key or ""), membre=MEMBER, version=1,
                     mis_a_jour_le=record.modified_at.isoformat(timespec="seconds"))
        out.append(fiche)
    return out


def connector_run(hub: FreshHub, mapping: Mapping, path: Path,
                  processed: bool) -> tuple[int, float, float | None]:
    state = hub.data_dir / "connecteur"
    runner = Runner(CsvSource(mapping, path), hub.client, Checkpoint(state / "reprise.json"),
                    RejectsFile(state / "rejets.jsonl"))
    start = time.perf_counter()
    summary = runner.run()
    elapsed = time.perf_counter() - start
    if not summary.complete or summary.rejected_local or summary.rejected_hub:
        raise SystemExit(f"connector run not clean: {summary.to_dict()}")
    drained = hub.wait_processed(summary.accepted, start) if processed else None
    return summary.accepted, elapsed, drained


def cli_run(hub: FreshHub, path: Path) -> tuple[int, float, float | None]:
    """`capactif connector run CONFIG` in its own process, as a member's agent runs it."""
    folder = hub.data_dir / "connecteur-cli"
    folder.mkdir()
    credentials = json.loads((hub.data_dir / "credentials" / f"{MEMBER}.json").read_text())
    credentials["hub_url"] = f"http://127.0.0.1:{hub.port}"
    (folder / "identifiants.json").write_text(json.dumps(credentials))
    (folder / "connecteur.json").write_text(json.dumps({
        "version": 1, "type": "csv", "source": {"chemin": str(path)},
        "correspondance": str(MAPPING), "identifiants": "identifiants.json",
        "reprise": "etat/reprise.json", "rejets": "etat/rejets.csv"}))
    start = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("capactif")), "connector", "run",
                           str(folder / "connecteur.json")], capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"capactif connector run exited {done.returncode}: {done.stderr[-500:]}")
    summary = json.loads(done.stdout.splitlines()[-1])["resume"]
    return summary["accepted"], elapsed, None


def without_rows(export: Path, count: int) -> Path:
    """The export less `count` of its rows, spread over it (the header kept)."""
    lines = export.read_bytes().split(b"\r\n")
    header, rows = lines[0], [line for line in lines[1:] if line]
    step = max(1, len(rows) // count)
    gone = set(range(step // 2, len(rows), step)[:count])
    kept = [row for number, row in enumerate(rows) if number not in gone]
    less = export.with_name("export-moins.csv")
    less.write_bytes(b"\r\n".join([header, *kept]) + b"\r\n")
    return less


def withdrawal_costs(hub: FreshHub, mapping: Mapping, export: Path, count: int,
                     batched: bool) -> tuple[list[float], float]:
    """Each call's time (sent to answer), and the whole confirmed run's: one `DELETE` a
    fiche as before the batch route (`batched` False), or the connector's batches."""
    timed: list[float] = []
    withdraw, delete = hub.client.withdraw_fiches, hub.client.delete_fiche

    def one_by_one(member: str, fiche_ids: list[str]) -> dict[str, bool]:
        return {fiche_id: delete(member, fiche_id) for fiche_id in fiche_ids}

    call = withdraw if batched else one_by_one

    def timed_call(member: str, fiche_ids: list[str]) -> dict[str, bool]:
        start = time.perf_counter()
        done = call(member, fiche_ids)
        timed.append(time.perf_counter() - start)
        return done

    hub.client.withdraw_fiches = timed_call  # type: ignore[method-assign,assignment]
    state = hub.data_dir / "connecteur"
    runner = Runner(CsvSource(mapping, without_rows(export, count)), hub.client,
                    Checkpoint(state / "reprise.json"), RejectsFile(state / "rejets.jsonl"),
                    confirm_deletions=True, deletion_share_max=1.0,
                    withdrawal_batch=WITHDRAWAL_BATCH if batched else 1)
    start = time.perf_counter()
    summary = runner.run()
    elapsed = time.perf_counter() - start
    if not summary.complete or len(summary.withdrawals) != count:
        raise SystemExit(f"withdrawal run not clean: {summary.stopped} {summary.raison}")
    return timed, elapsed


def withdrawals(base: Path, template: Path, export: Path, count: int, worker: bool) -> None:
    """The same K withdrawals one by one, then in batches, each on a fresh hub that just
    took the export (its worker processing it, with `worker`); the ratio of the runs."""
    runs = {}
    for batched in (False, True):
        folder = base / f"withdrawals-{'w' if worker else 'a'}-{'batch' if batched else 'one'}"
        with FreshHub(template, folder, worker) as hub:
            mapping = Mapping.load(MAPPING)
            sent, _, _ = connector_run(hub, mapping, export, False)
            timed, elapsed = withdrawal_costs(hub, mapping, export, count, batched)
        runs[batched] = elapsed
        ordered = sorted(timed)
        kind = f"batches of {WITHDRAWAL_BATCH}" if batched else "one by one (DELETE)"
        print(f"  {count} withdrawals {kind} from a hub of {sent} fiches: {len(timed)} calls, "
              f"median {ordered[len(ordered) // 2] * 1000:.0f} ms, max "
              f"{ordered[-1] * 1000:.0f} ms; the run {elapsed:.1f} s, of it "
              f"{elapsed - sum(timed):.1f} s besides the calls", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"  ratio one by one / batches: {runs[False] / runs[True]:.1f}x faster in batches",
          flush=True)


def direct_push(hub: FreshHub, fiches: list[dict[str, Any]],
                processed: bool) -> tuple[int, float, float | None]:
    accepted, start = 0, time.perf_counter()
    for first in range(0, len(fiches), BATCH):
        result = hub.client.push_fiches(fiches[first:first + BATCH])
        if result.rejected:
            raise SystemExit(f"direct push refused fiches: {result.rejected[0].errors}")
        accepted += len(result.accepted)
    elapsed = time.perf_counter() - start
    drained = hub.wait_processed(accepted, start) if processed else None
    return accepted, elapsed, drained


def _line(name: str, count: int, seconds: float, drained: float | None) -> str:
    text = f"{name:<36}: {count / seconds:9,.0f} records/s ({count} accepted in {seconds:.1f} s)"
    if drained is not None:
        text += f"; all processed after {drained:.1f} s ({count / drained:,.0f}/s)"
    return text


Run = tuple[int, float, float | None]


def measure(base: Path, template: Path, export: Path, fiches: list[dict[str, Any]],
            args: argparse.Namespace, worker: bool) -> dict[str, list[Run]]:
    """Connector and direct push on fresh hubs, `args.rounds` pairs (order alternating);
    every run of each kind."""
    mapping, runs = Mapping.load(MAPPING), {}
    processed = args.processed and worker
    kinds = ("connector", "direct", *(("cli",) if args.cli else ()))
    for number in range(args.rounds):
        order = kinds if number % 2 == 0 else kinds[::-1]
        for kind in order:
            folder = base / f"{kind}-{number}-{'w' if worker else 'a'}"
            with FreshHub(template, folder, worker) as hub:
                run = (connector_run(hub, mapping, export, processed) if kind == "connector"
                       else cli_run(hub, export) if kind == "cli"
                       else direct_push(hub, fiches, processed))
            print(f"  round {number + 1} {kind:<9}: {run[0] / run[1]:9,.0f} records/s", flush=True)
            runs.setdefault(kind, []).append(run)
            shutil.rmtree(folder, ignore_errors=True)
    return runs


def median_run(runs: list[Run]) -> Run:
    """The run of median duration (for an even count, the slower of the middle two)."""
    return sorted(runs, key=lambda run: run[1])[len(runs) // 2]


def report(runs: dict[str, list[Run]], rounds: int) -> None:
    report_of({kind: min(found, key=lambda run: run[1]) for kind, found in runs.items()},
              f"best of {rounds} round(s)")
    if rounds > 1:
        report_of({kind: median_run(found) for kind, found in runs.items()},
                  f"median of {rounds} round(s)")


def report_of(best: dict[str, Run], title: str) -> None:
    (sent, run_s, run_drained), (pushed, push_s, push_drained) = best["connector"], best["direct"]
    print(f"  {title}:")
    print(_line("    connector CSV -> hub accepted", sent, run_s, run_drained))
    print(_line("    direct push (hub's ingest rate)", pushed, push_s, push_drained))
    print(f"    ratio connector / direct push   : {(sent / run_s) / (pushed / push_s):.3f} "
          "(target >= 0.8)", flush=True)
    if "cli" in best:
        cli_sent, cli_s, _ = best["cli"]
        print(_line("    capactif connector run (process)", cli_sent, cli_s, None))
        print(f"    ratio CLI run / direct push     : {(cli_sent / cli_s) / (pushed / push_s):.3f}"
              " (target >= 0.8)", flush=True)


MODES = {"worker": [True], "api-only": [False], "both": [True, False]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="rows of the CSV export")
    parser.add_argument("--rounds", type=int, default=1,
                        help="connector/direct pairs per mode, order alternating; best and "
                             "median reported")
    parser.add_argument("--mode", choices=sorted(MODES), default="both",
                        help="hub with its worker running (as deployed), API only, or both")
    parser.add_argument("--cli", action="store_true",
                        help="also time `capactif connector run CONFIG` in its own process")
    parser.add_argument("--processed", action="store_true",
                        help="with the worker: also wait until it processed every fiche")
    parser.add_argument("--withdrawals", type=int, default=0, metavar="K",
                        help="time K withdrawals after the connector's run (only that)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-connector-") as folder:
        base = Path(folder)
        started = time.perf_counter()
        export, template = prepare(base, args.lines)
        fiches = mapped_fiches(Mapping.load(MAPPING), export)
        # The direct push's fiches (millions of objects at 100,000 rows) are no cost of the
        # connector: kept out of the collector's full passes, which the in-process runner's
        # allocations would otherwise trigger over them (a separate process has none).
        gc.collect()
        gc.freeze()
        print(f"lines={args.lines} member={MEMBER} batches of {BATCH}; export, network and "
              f"{args.lines} consents prepared in {time.perf_counter() - started:.0f} s "
              "(not timed)", flush=True)
        if args.withdrawals:
            for worker in MODES[args.mode]:
                print("hub = API + worker" if worker else "hub = API only", flush=True)
                withdrawals(base, template, export, args.withdrawals, worker)
            return 0
        rows, raw_s = raw_parse(export)
        print(f"baseline raw CSV parsing (decode + csv.reader): {rows / raw_s:,.0f} records/s")
        for worker in MODES[args.mode]:
            title = ("hub = API + worker (embedded SQLite, file broker)" if worker
                     else "hub = API only (worker stopped: the ingest path alone)")
            print(title, flush=True)
            report(measure(base, template, export, fiches, args, worker), args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
