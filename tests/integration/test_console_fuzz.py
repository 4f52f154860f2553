"""Every console page and form, called by each role (coordinator, DPO, administrator)
with odd values in its path, its query and its form (a valid anti-forgery token, fields
drawn from every form's names and beyond): no answer is a server error, and none repeats
a value sent that could hold personal data."""

from __future__ import annotations

import os
import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.web.security import _each
from tests.console_world import build_world
from tests.factories import Clock
from tests.fakes.publisher import RecordingPublisher
from tests.integration.test_console import csrf_of, sign_in

pytestmark = pytest.mark.integration
EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "6"))
MARKER = "Echo7f3a9c"
odd = st.one_of(st.text(max_size=20), st.sampled_from(
    ["", "0", "-1", "²", "𝟏", "99999999999999999999", "2026-13-45", "2026-02", "prt_", "x" * 300,
     "../..", "%00", "\u202e", MARKER, f"{MARKER}@exemple.fr", "S2-2026", "1.5", "true"]))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from hub.store.migrate import upgrade

    folder = tmp_path_factory.mktemp("console-fuzz")
    url = f"sqlite:///{folder / 'hub.sqlite3'}"
    upgrade(url)
    hub = Hub.from_settings(Settings(data_dir=folder / "data", database_url=url,
                                     console_cookie_secure=False),
                            publisher=RecordingPublisher(), clock=Clock())
    built = build_world(hub, folder)
    app = create_app(hub=hub)
    clients, tokens = {}, {}
    for login in ("coord", "dpo", "admin"):
        client = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)
        sign_in(client, login)
        clients[login] = client
        tokens[login] = csrf_of(client.get("/console/", follow_redirects=True).text)
    yield {"hub": hub, "app": app, "clients": clients, "tokens": tokens, **built}
    for client in clients.values():
        client.close()
    hub.close()


def _console_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if getattr(route, "path", "") != "/console":
            continue
        for sub in _each(route.routes):
            if isinstance(sub, Route):
                found += [(method, "/console" + sub.path) for method in sub.methods or ()
                          if method in ("GET", "POST")]
    return sorted(set(found))


_NAMES = ["porteur_id", "item_id", "user_id", "q", "nom", "prenom", "courriel", "naissance",
          "commune", "page", "tri", "mois", "semestre", "du", "au", "periode", "fait", "decision",
          "membre", "fiche_id", "login", "role", "actif", "password", "parrain", "note",
          "reponse", "motif", "precision", "action", "depuis", "jusqu_a", "format", "tableau",
          "alerte", "suite", "sortie", "fin", "structure", "raison", "date_naissance"]


def test_no_console_page_or_form_answers_a_server_error_or_echoes_a_value(world):
    routes = _console_routes(world["app"])
    assert len(routes) >= 20, routes
    known = sorted(world["porteurs"].values())
    for method, path in routes:
        if path.endswith(("/deconnexion", "/connexion")):  # signing out ends the session
            continue
        _fuzz(world, method, path, known)()


def _fuzz(world, method: str, path: str, known: list[str]):
    names = re.findall(r"{(\w+)}", path)
    values = st.one_of(odd, st.sampled_from(known)) if known else odd

    @settings(max_examples=EXAMPLES * 3, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(sorted(world["clients"])), st.fixed_dictionaries({n: values for n in names}),
           st.dictionaries(st.sampled_from(_NAMES), odd, max_size=5))
    def call(login: str, path_values: dict, fields: dict) -> None:
        client = world["clients"][login]
        target = path
        for name, value in path_values.items():
            target = target.replace("{" + name + "}", _quoted(value))
        if method == "GET":
            response = client.get(target, params=fields, follow_redirects=False)
        else:
            data = {**fields, "csrf": world["tokens"][login]}
            response = client.post(target, data=data, follow_redirects=False)
        where = f"{login} {method} {target} {fields} -> {response.status_code}"
        assert response.status_code < 500, f"{where}: {response.text[:400]}"
        assert MARKER.lower() not in response.text.lower() or _echo_allowed(path, fields), where

    return call


def _echo_allowed(path: str, fields: dict) -> bool:
    """A search form shows back what the person typed (their own input, on their own page)."""
    return path.endswith(("/porteurs", "/personne", "/journal", "/comptes", "/connexion"))


def _quoted(value: str) -> str:
    from urllib.parse import quote
    return quote(value, safe="")
