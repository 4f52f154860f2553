"""An export that lost 200 rows: the connector withdraws their fiches in batches (one call,
one erasure at the hub each), the checkpoint noted before and after each batch. Killed
with SIGKILL once the hub carried out a batch it never recorded, the next run withdraws
the rest and sends that batch again, which the hub answers as gone: every fiche is erased
once, and the runs exit as documented (killed; then 0). Real processes: a hub API process
on each store, the connector run in its own process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from capactif_demo.processes import capactif_command
from hub.bootstrap import Hub
from tests.factories import record_consents
from tests.integration.connectors import test_connector_killed_processes as killed
from tests.integration.connectors.test_connector_killed_processes import (  # noqa: F401
    hub_process,  # the fixture
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEPT, GONE, BATCH = 40, 200, 80


def _line(n: int) -> list[str]:
    cells = killed._row(n)
    cells[4] = f"0612{n:06d}"  # a phone number of ten digits past the 100th row too
    return cells


def _export(folder: Path, rows: int) -> None:
    text = "".join(";".join(cells) + "\r\n" for cells in [killed.HEADER, *map(_line, range(rows))])
    (folder / "export.csv").write_bytes(text.encode("utf-8"))


def _configured(folder: Path, observer: Hub) -> str:
    """The connector's configuration, batches of `BATCH` withdrawals, its deletions
    confirmed (200 of 240 gone is past the mass-withdrawal share), every row pushed."""
    record_consents(
        observer,
        [
            {
                "membre": killed.MEMBER,
                "fiche_id": f"COM-2026-{n:03d}",
                "consentement": {"reference": f"CST-2026-{n:03d}"},
            }
            for n in range(KEPT + GONE)
        ],
    )
    config = killed.configured(folder)
    settings = json.loads(Path(config).read_text())
    Path(config).write_text(
        json.dumps(
            {**settings, "taille_lot": 100, "taille_lot_retraits": BATCH, "confirmer_suppressions": True}
        )
    )
    _export(folder, KEPT + GONE)
    return config


def _run(config: str) -> tuple[int, dict]:
    done = subprocess.run(
        capactif_command("connector", "run", config),
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])["resume"]


def _erasures(observer: Hub) -> list[tuple[str, int]]:
    with observer.engine.connect() as conn:
        return [
            (row.scope, row.fiches)
            for row in conn.execute(sa.text("SELECT scope, fiches FROM erasures ORDER BY requested_at"))
        ]


def _erased_pks(observer: Hub) -> list[int]:
    with observer.engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT fiche_pk FROM fiche_keys WHERE wrapped_key IS NULL")))


def test_rows_gone_are_withdrawn_in_batches_each_one_erasure(hub_process, tmp_path):  # noqa: F811
    config = _configured(tmp_path, hub_process)
    code, first = _run(config)
    assert (code, first["accepted"]) == (0, KEPT + GONE), first
    assert len(killed.acknowledged(tmp_path)) == KEPT + GONE
    _export(tmp_path, KEPT)

    code, summary = _run(config)

    assert code == 0, summary
    assert summary["withdrawals"] == [f"COM-2026-{n:03d}" for n in range(KEPT, KEPT + GONE)]
    assert _erasures(hub_process) == [("fiche", BATCH), ("fiche", BATCH), ("fiche", GONE - 2 * BATCH)]
    assert killed.acknowledged(tmp_path) == {f"2026-{n:03d}" for n in range(KEPT)}


def test_a_run_killed_after_a_batch_the_hub_carried_out_withdraws_the_rest_none_twice(hub_process, tmp_path):  # noqa: F811
    config = _configured(tmp_path, hub_process)
    code, first = _run(config)
    assert (code, first["accepted"]) == (0, KEPT + GONE), first
    _export(tmp_path, KEPT)

    stopped = subprocess.run(
        [sys.executable, "-c", killed._KILLED_RUN, "withdrawn", "2", config],
        env=dict(os.environ),
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert stopped.returncode == -signal.SIGKILL, stopped.stderr.decode(errors="replace")
    assert _erasures(hub_process) == [("fiche", BATCH), ("fiche", BATCH)]
    left = killed.acknowledged(tmp_path)
    assert len(left) == KEPT + GONE - BATCH  # the second batch carried out, unrecorded

    code, resumed = _run(config)

    assert code == 0, resumed
    # the unrecorded batch sent again (the hub answers it gone), then the rest
    assert resumed["withdrawals"] == [f"COM-2026-{n:03d}" for n in range(KEPT + BATCH, KEPT + GONE)]
    assert _erasures(hub_process) == [("fiche", BATCH), ("fiche", BATCH), ("fiche", GONE - 2 * BATCH)]
    erased = _erased_pks(hub_process)
    assert len(erased) == len(set(erased)) == GONE  # each fiche erased once, none twice
    assert killed.acknowledged(tmp_path) == {f"2026-{n:03d}" for n in range(KEPT)}
    code, again = _run(config)  # nothing left to withdraw
    assert (code, again["withdrawals"], again["unchanged"]) == (0, [], KEPT), again
