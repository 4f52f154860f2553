"""`GET /v1/audit/export` whose store fails once its stream is under way (the answer is
already 200), over real HTTP (uvicorn) on both databases: the error escaped to the
server, which logged "Exception in ASGI application" and cut the connection in the middle
of its chunked body. The answer now ends where it stood, cleanly, without its end line
(docs/protocol.md, "Every export ends with an end line"): the reader sees it was cut,
and the connection serves the next request.

The export reads the log page by page (two events a page here); its second page meets
the store failing: on PostgreSQL the access log's table locked by another session past
the lock deadline, on SQLite (whose reads never wait for a writer) the driver's error of
a locked database raised by that read."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sqlite3
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from hub.api.app import create_app
from hub.audit import csv_export
from hub.services.audit import trail
from tests.e2e.browser import served
from tests.factories import Credentials
from tests.integration.audit.dpo_http import NETWORK, dpo_hub
from tests.integration.held_tables import table_locked
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

EVENTS = 6


@pytest.fixture
def world(db_url, tmp_path, monkeypatch) -> Iterator[tuple[httpx.Client, Credentials]]:
    hub, _porteur, _fiche = dpo_hub(db_url, tmp_path)
    trail.record(hub, [trail.event(hub, "search", NETWORK, user="paged")
                       for _ in range(EVENTS)])
    monkeypatch.setattr(trail, "events", functools.partial(trail.events, page=2))
    monkeypatch.setattr(csv_export, "_ROWS_PER_CHUNK", 1)
    read = hub.audit.search
    calls = []

    def failing_after_its_first_page(*args, **kwargs):
        calls.append(1)
        if len(calls) != 2:
            return read(*args, **kwargs)
        with store_failing(db_url):
            return read(*args, **kwargs)

    monkeypatch.setattr(hub.audit, "search", failing_after_its_first_page)
    with served(create_app(hub=hub)) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client, Credentials(tmp_path / "creds" / f"{NETWORK}.dpo.json")
    hub.close()


@contextlib.contextmanager
def store_failing(db_url: str) -> Iterator[None]:
    """The store failing the read made inside: on PostgreSQL the log's table locked by
    another session (for that read only); on SQLite, the driver's error raised."""
    if db_url.startswith("sqlite"):
        raise sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))
    with table_locked(db_url, "audit_entries"):
        yield


@pytest.mark.parametrize(("form", "end"), [("jsonl", '{"type":"end"'), ("csv", "fin;")])
def test_an_export_the_store_fails_mid_stream_ends_without_its_end_line_the_connection_kept(
        world, form, end, caplog):
    client, dpo = world
    caplog.set_level(logging.WARNING)
    path = f"/v1/audit/export?format={form}&action=search"
    with client.stream("GET", path, headers=dpo.headers("GET", path)) as answer:
        assert answer.status_code == 200
        lines = list(answer.iter_lines())
        connection = _local_address(answer)
    assert lines and not [line for line in lines if line.startswith(end)], lines
    assert len(lines) < EVENTS
    if form == "jsonl":
        assert all(json.loads(line)["type"] == "entry" for line in lines)
    head = "/v1/audit/tree-head"  # was: httpx.RemoteProtocolError, the connection closed
    with client.stream("GET", head, headers=dpo.headers("GET", head)) as answer:
        assert answer.status_code == 200
        assert _local_address(answer) == connection  # the same connection, kept
    wait_until(lambda: "answer cut short: StoreTimeout" in _said(caplog), 30,
               "the answer cut short logged")


def _local_address(answer: httpx.Response) -> tuple[str, int]:
    return answer.extensions["network_stream"].get_extra_info("client_addr")


def _said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]
