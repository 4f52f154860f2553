"""`capactif connector run` against a hub process that limits its pushes, on each store
(SQLite embedded with the limiter in memory, PostgreSQL with the limiter in Redis): a
429 whose `Retry-After` is short is waited out and the run goes on to the end; one whose
`Retry-After` is long stops the run cleanly (exit 3, saying how long the hub asks to
wait), what the hub accepted noted in the checkpoint and the rest left for the next run."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from capactif_demo.processes import capactif_command
from tests.integration.connectors.test_connector_killed_processes import (
    BATCH,
    ROWS,
    acknowledged,
    configured,
    hub_on_store,
    stored_once,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _run(config: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(capactif_command("connector", "run", config), env=dict(os.environ),
                          capture_output=True, text=True, timeout=300, check=False)


def _summary(done: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])["resume"]


@pytest.mark.parametrize("store", ["embedded", "scale"])
def test_a_short_retry_after_is_waited_out_and_the_run_goes_on(request, tmp_path, store):
    """One push a second: each batch after the first is answered 429 with `Retry-After: 1`."""
    with hub_on_store(request, tmp_path, store, {"HUB_RATE_LIMIT_PUSH": "1/second"}) as observer:
        done = _run(configured(tmp_path))
        assert done.returncode == 0, done.stdout + done.stderr
        summary = _summary(done)
        assert (summary["stopped"], summary["accepted"], summary["batches"]) == \
            (None, ROWS, ROWS // BATCH), summary
        assert stored_once(observer) == ROWS
        assert len(acknowledged(tmp_path)) == ROWS


@pytest.mark.parametrize("store", ["embedded", "scale"])
def test_a_long_retry_after_stops_the_run_cleanly_losing_nothing(request, tmp_path, store):
    """One push an hour: the second batch is answered 429 with `Retry-After` near 3,600 s,
    past what the connector waits; the first batch is noted, the others left to send."""
    with hub_on_store(request, tmp_path, store, {"HUB_RATE_LIMIT_PUSH": "1/hour"}) as observer:
        done = _run(configured(tmp_path))
        assert done.returncode == 3, done.stdout + done.stderr
        summary = _summary(done)
        assert (summary["stopped"], summary["accepted"]) == ("hub_rate_limited", BATCH), summary
        said = done.stderr
        assert "au plus 60 s" in said and ("3600 s" in said or "3599 s" in said), said
        assert stored_once(observer) == BATCH
        assert len(acknowledged(tmp_path)) == BATCH
