"""The console under a store that answers too late, over real HTTP (uvicorn) on both
databases: a writer holding SQLite's writer turn, a PostgreSQL session holding the access
log's table locked. Every page, form and export that reads or writes it is answered with
the console's 503 page and `Retry-After` (as the API's 503s), never a 500, and the
connection is never cut: no exception reaches the server (which closes the connection
of a request whose error escaped it), and an export whose stream cannot start is a 503
before its first byte."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from tests.console_world import PASSWORDS, build_world
from tests.e2e.browser import served
from tests.factories import Clock
from tests.fakes.publisher import RecordingPublisher
from tests.integration.held_tables import store_held
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

LOCK_S = 1.0
# (account, method, path, form fields besides the anti-forgery token)
ROUTES = [
    ("dpo", "GET", "/console/dpo/journal?membre=commune-ambert", None),
    ("dpo", "POST", "/console/dpo/journal", {"membre": "commune-ambert"}),
    ("dpo", "POST", "/console/dpo/personne", {"qui": "Faurelliat"}),
    ("dpo", "GET", "/console/dpo/rapport/{porteur}", None),
    ("dpo", "GET", "/console/dpo/alertes", None),
    ("dpo", "POST", "/console/dpo/alertes/prise-en-compte", {"entree": "1"}),
    ("dpo", "GET", "/console/dpo/integrite", None),
    ("dpo", "POST", "/console/dpo/integrite", {}),
    ("dpo", "GET", "/console/dpo/consentements", None),
    ("dpo", "POST", "/console/dpo/export", {}),
    ("dpo", "POST", "/console/dpo/export", {"membre": "commune-ambert"}),
    ("dpo", "POST", "/console/dpo/export.csv", {}),
    ("coord", "GET", "/console/coordination/porteurs", None),
    ("coord", "GET", "/console/coordination/porteurs/{porteur}", None),
    ("coord", "GET", "/console/coordination/indicateurs.csv", None),
]

# The integrity page reads the signed heads only: shown when the log's table is locked.
READ_ONLY = "GET /console/dpo/integrite "


@pytest.fixture
def world(db_url, tmp_path) -> Iterator[dict]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url,
                        console_cookie_secure=False, database_lock_timeout_s=LOCK_S)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=Clock())
    built = build_world(hub, tmp_path)
    with served(create_app(hub=hub)) as base:
        yield {"hub": hub, "base": base, "db_url": db_url,
               "porteur": built["porteurs"]["F-INSTALLE"]}
    hub.close()


def signed_in(base: str, login: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=60)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/connexion").text)[1]
    answer = client.post("/console/connexion",
                         data={"csrf": token, "login": login, "password": PASSWORDS[login]})
    assert answer.status_code == 303, answer.text
    home = client.get("/console/", follow_redirects=True).text
    return client, re.search(r'name="csrf" value="([^"]+)"', home)[1]


@pytest.fixture
def clients(world) -> Iterator[dict[str, tuple[httpx.Client, str]]]:
    signed = {login: signed_in(world["base"], login) for login in ("dpo", "coord")}
    yield signed
    for client, _csrf in signed.values():
        client.close()


def test_every_console_route_on_a_store_too_late_answers_503_with_retry_after(world, clients,
                                                                            caplog):
    answers = {}
    with caplog.at_level(logging.ERROR), store_held(world["db_url"]):
        for login, method, path, form in ROUTES:
            client, csrf = clients[login]
            path = path.format(porteur=world["porteur"])
            data = None if form is None else {"csrf": csrf, **form}
            try:
                answer = client.request(method, path, data=data)
            except httpx.TransportError as exc:  # the connection cut
                answers[f"{method} {path} {form}"] = type(exc).__name__
                continue
            answers[f"{method} {path} {form}"] = (answer.status_code,
                                                  answer.headers.get("retry-after"),
                                                  "Service indisponible" in answer.text)
    refused = [f"{route}: {seen}" for route, seen in answers.items() if seen != (503, "5", True)
               and not (route.startswith(READ_ONLY) and seen[0] == 200)]
    assert not refused, "\n".join(refused)
    escaped = [r.getMessage() for r in caplog.records
               if "Exception in ASGI application" in r.getMessage()
               or "unexpected console error" in r.getMessage()]
    assert not escaped, escaped
    for client, _csrf in clients.values():  # the same connections serve on once it is free
        wait_until(lambda c=client: c.get("/console/dpo/integrite").status_code in (200, 403),
                   30, "the console's pages once the store is free")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_export_whose_stream_cannot_start_is_a_503_before_its_first_byte(world, clients,
                                                                         caplog):
    """The export logged, then its first read waiting past the lock deadline (the fiches
    locked by another session: on SQLite a read never waits for a writer)."""
    client, csrf = clients["dpo"]
    form = {"csrf": csrf, "porteur": world["porteur"]}
    engine = sa.create_engine(world["db_url"], poolclass=sa.pool.NullPool)
    answers = {}
    with caplog.at_level(logging.ERROR), engine.begin() as conn:
        conn.exec_driver_sql("LOCK TABLE fiches IN ACCESS EXCLUSIVE MODE")
        for path in ("/console/dpo/export", "/console/dpo/export.csv"):
            try:
                answer = client.post(path, data=form)
            except httpx.TransportError as exc:
                answers[path] = type(exc).__name__
                continue
            answers[path] = (answer.status_code, answer.headers.get("retry-after"),
                             "Service indisponible" in answer.text)
    engine.dispose()
    assert answers == dict.fromkeys(answers, (503, "5", True)), answers
    assert not [r for r in caplog.records if "Exception in ASGI application" in r.getMessage()]
    assert client.post("/console/dpo/export", data=form).status_code == 200
