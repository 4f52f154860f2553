"""The console over HTTP on both databases: roles, sign-in, lock-out, CSRF, and the
access events its pages append (pseudonyms and field names, never values)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts import users as accounts
from tests.console_world import CONFIRMING, NAMES, PASSWORDS, build_world
from tests.factories import Clock
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration


@pytest.fixture
def world(db_url, tmp_path):
    clock = Clock()
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url,
                        console_cookie_secure=False, console_max_failed_logins=3,
                        console_max_failed_per_source=6)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=clock)
    built = build_world(hub, tmp_path)
    with TestClient(create_app(hub=hub), base_url="http://127.0.0.1") as client:
        yield {"hub": hub, "client": client, "clock": clock, **built}
    hub.close()


def sign_in(client, login: str, password: str | None = None):
    form = client.get("/console/connexion").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)[1]
    return client.post("/console/connexion", follow_redirects=False, data={
        "csrf": token, "login": login, "password": password or PASSWORDS[login]})


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page)[1]


def test_pages_without_a_session_send_to_the_sign_in_page(world):
    answer = world["client"].get("/console/coordination/porteurs", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/connexion?suite=%2Fcoordination%2Fporteurs"


def test_the_session_cookie_is_http_only_and_strict_and_its_token_is_not_stored(world):
    answer = sign_in(world["client"], "coord")
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    token = world["client"].cookies["capactif_session"]
    with world["hub"].engine.connect() as conn:
        stored = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM user_sessions")]
    assert stored and token not in repr(stored)


def test_a_parcours_view_is_logged_with_pseudonyms_and_field_names_only(world):
    client, hub = world["client"], world["hub"]
    sign_in(client, "coord")
    porteur = world["porteurs"]["F-INSTALLE"]
    assert "Sophie MARTINELLIAC" in client.get(f"/console/coordination/porteurs/{porteur}").text
    events = hub.audit.search(action="console_view")
    assert len(events) == 1
    [event] = events
    assert event.actor_member == "pnr-livradois-forez" and event.actor_user.startswith("usr_")
    assert "porteur.nom" in event.fields and "accompagnement[].parrain" in event.fields
    assert "accompagnement[].notes" not in event.fields and event.purpose == "accompagnement"
    assert not [name for name in NAMES if name.split()[1] in repr(event.to_dict())]


def test_names_from_fiches_are_shown_each_in_its_own_bidirectional_isolate(world):
    client = world["client"]
    sign_in(client, "coord")
    porteur = world["porteurs"]["F-INSTALLE"]
    page = client.get(f"/console/coordination/porteurs/{porteur}").text
    assert "<h1>Parcours de <bdi>Sophie MARTINELLIAC</bdi></h1>" in page


def test_a_porteur_whose_consent_leaves_out_the_coordination_is_not_found(world):
    sign_in(world["client"], "coord")
    answer = world["client"].get(f"/console/coordination/porteurs/{world['porteurs']['F-PRIVE']}")
    assert answer.status_code == 404 and "Secretinova" not in answer.text


def test_each_role_is_refused_the_pages_of_the_others_in_french(world):
    client = world["client"]
    sign_in(client, "dpo")
    answer = client.get("/console/coordination/indicateurs")
    assert answer.status_code == 403 and "Accès refusé" in answer.text
    client.cookies.clear()
    sign_in(client, "admin")
    assert client.get("/console/dpo/consentements").status_code == 403
    assert client.get("/console/admin/comptes").status_code == 200


def test_a_lock_out_ends_after_its_period(world):
    client, clock = world["client"], world["clock"]
    for _ in range(3):
        refused = sign_in(client, "coord", "pas-le-bon-mot-de-passe")
    assert refused.status_code == 401 and "bloquée pendant 15 minutes" in refused.text
    assert sign_in(client, "coord").status_code == 401  # the right password, still locked
    clock.advance(minutes=16)
    assert sign_in(client, "coord").headers["location"] == "/console/coordination/porteurs"
    denied = world["hub"].audit.search(action="login")
    assert [e.outcome for e in denied][-5:] == ["denied"] * 4 + ["allowed"]


def test_a_post_without_the_sessions_anti_forgery_token_changes_nothing(world):
    client, hub = world["client"], world["hub"]
    sign_in(client, "admin")
    answer = client.post("/console/admin/comptes", data={
        "csrf": "forged", "login": "intrus", "role": "admin", "password": "x" * 12,
        "password2": "x" * 12})
    assert answer.status_code == 403 and "anti-falsification" in answer.text
    assert "intrus" not in [u["login"] for u in accounts.list_users(hub)]
    page = client.get("/console/admin/comptes").text
    created = client.post("/console/admin/comptes", follow_redirects=False, data={
        "csrf": csrf_of(page), "login": "nouvelle", "role": "dpo", "password": "y" * 12,
        "password2": "y" * 12})
    assert created.status_code == 303
    assert "nouvelle" in [u["login"] for u in accounts.list_users(hub)]


def test_signing_out_ends_the_session_on_the_server(world):
    client = world["client"]
    sign_in(client, "coord")
    token = client.cookies["capactif_session"]
    page = client.get("/console/coordination/porteurs").text
    client.post("/console/deconnexion", data={"csrf": csrf_of(page)})
    client.cookies.set("capactif_session", token, path="/console")
    assert client.get("/console/coordination/porteurs", follow_redirects=False).status_code == 303


def test_verify_now_runs_the_offline_verifier_and_remembers_the_check(world):
    client = world["client"]
    sign_in(client, "dpo")
    page = client.get("/console/dpo/integrite").text
    assert "pas encore été vérifié" in page
    checked = client.post("/console/dpo/integrite", data={"csrf": csrf_of(page)}).text
    assert "Vérification réussie : journal intègre" in checked
    assert "Dernière vérification" in client.get("/console/dpo/integrite").text
    assert "pas encore été vérifié" not in client.get("/console/dpo/integrite").text


def test_the_dpo_exports_the_log_as_jsonl(world):
    client = world["client"]
    sign_in(client, "dpo")
    page = client.get("/console/dpo/journal").text
    export = client.post("/console/dpo/export", data={"csrf": csrf_of(page)})
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in export.headers["content-disposition"]
    assert '"type":"head"' in export.text and not [n for n in NAMES if n in export.text]


def test_the_dpo_exports_the_log_as_csv_and_the_export_names_the_account(world):
    client, hub = world["client"], world["hub"]
    sign_in(client, "dpo")
    page = client.get("/console/dpo/journal").text
    export = client.post("/console/dpo/export.csv", data={"csrf": csrf_of(page)})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert export.content.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read UTF-8
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("N°;Date et heure;Membre;Compte;Action;Résultat") and len(lines) > 10
    assert "envoi de fiches" in export.text and "fiche_push" not in export.text  # French
    assert not [n for n in NAMES if n in export.text]
    dpo_id = _account(hub, "dpo")
    assert hub.audit.search(action="audit_export", member="pnr-livradois-forez")[-1].actor_user \
        == dpo_id


def test_the_alerts_page_is_the_dpos_only(world):
    client = world["client"]
    sign_in(client, "coord")
    assert client.get("/console/dpo/alertes").status_code == 403
    client.cookies.clear()
    sign_in(client, "dpo")
    world["clock"].advance(minutes=1)  # the test clock stands still; windows end before now
    page = client.get("/console/dpo/alertes?periode=7").text
    assert "Exports en nombre" in page and "cci-puy-de-dome a lancé 6 exports" in page


def test_a_decision_on_a_duplicate_is_logged_with_the_coordinators_account(world):
    client, hub = world["client"], world["hub"]
    sign_in(client, "coord")
    queue = client.get("/console/coordination/doublons").text
    item = re.search(r"/console/coordination/doublons/(\d+)", queue)[1]
    page = client.get(f"/console/coordination/doublons/{item}").text
    assert "Gaëlle" in page and "CHANTELOUBIERE" in page
    refused = client.post(f"/console/coordination/doublons/{item}",
                          data={"csrf": csrf_of(page), "decision": "peut-etre"})
    assert refused.status_code == 400
    revision = re.search(r'name="revision" value="(\d+)"', page)[1]
    unrevised = client.post(f"/console/coordination/doublons/{item}",
                            data={"csrf": csrf_of(page), "decision": "different"})
    assert unrevised.status_code == 400 and "rechargez la page" in unrevised.text
    decided = client.post(f"/console/coordination/doublons/{item}", follow_redirects=False,
                          data={"csrf": csrf_of(page), "decision": "different",
                                "revision": revision})
    assert decided.headers["location"] == "/console/coordination/doublons?fait=different"
    [event] = hub.audit.search(action="review_decision")
    assert event.actor_user == _account(hub, "coord")
    views = hub.audit.search(action="porteur_view")
    assert views and {e.actor_user for e in views} == {_account(hub, "coord")}
    again = client.post(f"/console/coordination/doublons/{item}",
                        data={"csrf": csrf_of(page), "decision": "same", "revision": revision,
                              **CONFIRMING})
    assert again.status_code == 409 and "déjà été traité" in again.text
    assert client.get("/console/coordination/doublons/abc").status_code == 400


def test_account_changes_are_access_events_naming_the_administrator(world):
    client, hub = world["client"], world["hub"]
    sign_in(client, "admin")
    page = client.get("/console/admin/comptes").text
    client.post("/console/admin/comptes", data={
        "csrf": csrf_of(page), "login": "stagiaire", "role": "coordinator",
        "password": "z" * 12, "password2": "z" * 12})
    trainee = _account(hub, "stagiaire")
    for form in ({"action": "desactive"}, {"action": "mot-de-passe", "password": "w" * 12}):
        client.post(f"/console/admin/comptes/{trainee}", data={"csrf": csrf_of(page), **form})
    admin = _account(hub, "admin")
    for action in ("account_create", "account_disable", "account_password"):
        [event] = [e for e in hub.audit.search(action=action) if e.fields == (trainee,)]
        assert event.actor_user == admin and event.actor_member == "pnr-livradois-forez"
    logged = repr([e.to_dict() for e in hub.audit.search(limit=10_000)])
    assert "stagiaire" not in logged and "w" * 12 not in logged


def _account(hub, login: str) -> str:
    return next(u["id"] for u in accounts.list_users(hub) if u["login"] == login)


def test_the_meeting_sheet_covers_the_chosen_month(world):
    client = world["client"]
    sign_in(client, "coord")
    month = (world["clock"].now.date() - dt.timedelta(days=40)).strftime("%Y-%m")  # Karim's
    page = client.get(f"/console/coordination/reunion?mois={month}").text
    new = page.split("Nouveaux porteurs du mois")[1].split("<h2>")[0]
    assert "Karim BENALITOUX" in new and "Porteurs sans référent (1)" in page


def test_the_cli_adds_an_account_reading_the_password_from_standard_input(db_url, tmp_path):
    env = {"HUB_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    added = subprocess.run(
        [sys.executable, "-m", "hub.cli", "users", "add", "--login", "camille", "--role", "dpo",
         "--data-dir", str(tmp_path)], input="mot-de-passe-de-camille\n", capture_output=True,
        text=True, env=env, timeout=120)
    assert added.returncode == 0, added.stderr
    assert "mot-de-passe-de-camille" not in added.stdout + added.stderr
    hub = Hub.from_settings(Settings(data_dir=tmp_path, database_url=db_url),
                            publisher=RecordingPublisher())
    try:
        from hub.services.accounts.sessions import sign_in as open_session

        assert open_session(hub, "camille", "mot-de-passe-de-camille").session.role == "dpo"
    finally:
        hub.close()


def _answer(response) -> tuple[int, str]:
    """Status and page text without the fresh anti-forgery token each answer carries."""
    return response.status_code, re.sub(r'value="[^"]{20,}"', "", response.text)


def test_unknown_and_locked_logins_get_the_same_answer(world):
    client = world["client"]
    for _ in range(3):
        sign_in(client, "coord", "pas-le-bon-mot-de-passe")
    locked = sign_in(client, "coord")  # the right password, on a locked account
    unknown = sign_in(client, "personne-inconnue", "pas-le-bon-mot-de-passe")
    wrong = sign_in(client, "dpo", "pas-le-bon-mot-de-passe")
    assert _answer(locked) == _answer(unknown) == _answer(wrong)
    assert locked.status_code == 401 and "Connexion refusée" in locked.text


def test_a_source_address_is_locked_after_failures_on_any_login(world):
    client, clock = world["client"], world["clock"]
    for n in range(6):  # spraying: a different login each time, none locked by itself
        assert sign_in(client, f"essai-{n}", "pas-le-bon-mot-de-passe").status_code == 401
    assert sign_in(client, "coord").status_code == 401  # right password, blocked source
    clock.advance(minutes=16)
    assert sign_in(client, "coord").headers["location"] == "/console/coordination/porteurs"


def test_an_old_scrypt_hash_still_signs_in_and_is_replaced_by_argon2id(world):
    import base64
    import hashlib

    hub, client = world["hub"], world["client"]
    salt = b"0123456789abcdef"
    derived = hashlib.scrypt(PASSWORDS["coord"].encode(), salt=salt, n=2**14, r=8, p=1,
                             maxmem=64 * 1024 * 1024, dklen=32)
    b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    legacy = f"scrypt${2**14}$8$1${b64(salt)}${b64(derived)}"
    with hub.uow() as uow:
        users = uow.users
        user_id = users.by_login("coord").id
        users.update(user_id, password_hash=legacy)
        uow.commit()
    assert sign_in(client, "coord").headers["location"] == "/console/coordination/porteurs"
    with hub.uow() as uow:
        stored = uow.users.by_login("coord").password_hash
    assert stored.startswith("$argon2id$v=19$") and stored != legacy
    client.cookies.clear()
    assert sign_in(client, "coord").headers["location"] == "/console/coordination/porteurs"


def _log_rows(page: str) -> list[tuple[int, str]]:
    """(seq, account) of each row of the log page."""
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>', page)
    return [(int(seq), account) for seq, account in rows]


def test_the_log_lists_newest_first_in_numbered_pages_filtered_by_account(world):
    client, hub = world["client"], world["hub"]
    from hub.services.audit import trail as audit

    accounts_ids = [_account(hub, "coord"), _account(hub, "dpo")]
    audit.record(hub, [audit.event(hub, "console_view", "pnr-livradois-forez",
                                   user=accounts_ids[n % 2]) for n in range(250)])
    sign_in(client, "dpo")
    token = csrf_of(client.get("/console/dpo/journal").text)
    for number in (1, 2):  # each search is itself logged after it ran: read the log anew
        newest = sorted((e.seq for e in hub.audit.search(limit=1_000_000)), reverse=True)
        page = client.post("/console/dpo/journal", data={"csrf": token, "aller": str(number)})
        assert f"page {number} sur {-(-len(newest) // 100)}" in page.text and len(newest) > 200
        assert [seq for seq, _ in _log_rows(page.text)] == newest[100 * (number - 1):100 * number]
    coord = _account(hub, "coord")
    mine = client.post("/console/dpo/journal", data={"csrf": token, "compte": "Coord"})
    expected = sorted((e.seq for e in hub.audit.search(limit=1_000_000)
                       if e.actor_user == coord), reverse=True)
    assert [seq for seq, _ in _log_rows(mine.text)] == expected[:100] and expected
    assert {account for _, account in _log_rows(mine.text)} == {"coord"}
    unknown = client.post("/console/dpo/journal", data={"csrf": token, "compte": "personne"})
    assert unknown.status_code == 400 and "Compte inconnu" in unknown.text


def test_the_exports_hold_the_current_search_only(world):
    client, hub = world["client"], world["hub"]
    sign_in(client, "coord")
    client.get("/console/coordination/porteurs")
    sign_in(client, "dpo")
    page = client.post("/console/dpo/journal", data={
        "csrf": csrf_of(client.get("/console/dpo/journal").text), "compte": "coord",
        "action": "console_view"}).text
    hidden = dict(re.findall(r'<input type="hidden" name="(compte|action)" value="([^"]+)">',
                             page))
    assert hidden == {"compte": "coord", "action": "console_view"}  # the buttons carry it
    coord = _account(hub, "coord")
    expected = [e.seq for e in hub.audit.search(action="console_view", limit=1_000_000)
                if e.actor_user == coord]
    form = {"csrf": csrf_of(page), **hidden}
    table = client.post("/console/dpo/export.csv", data=form).content.decode("utf-8-sig")
    *rows, end = table.splitlines()[1:]
    assert [int(line.split(";")[0]) for line in rows] == expected
    assert {line.split(";")[3] for line in rows} == {"coord"}
    assert end == f"Fin de l'export;{len(expected)}"
    *lines, last = client.post("/console/dpo/export", data=form).text.splitlines()
    assert len(lines) == len(expected) > 0 and '"type":"head"' not in lines[0]
    assert last == f'{{"type":"end","lines":{len(expected)}}}'


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/Cayenne"])
def test_an_alert_gives_one_time_links_to_its_events_and_is_acknowledged_once(world, zone):
    import json
    from pathlib import Path

    from hub.services.audit.alerts import DEFAULT_RULES_FILE

    client, hub = world["client"], world["hub"]
    rules = json.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))
    rules_file = Path(hub.settings.data_dir) / "rules.json"
    rules_file.write_text(json.dumps({**rules, "fuseau": zone}), encoding="utf-8")
    object.__setattr__(hub.settings, "audit_alert_rules_file", rules_file)
    sign_in(client, "dpo")
    world["clock"].advance(minutes=1)
    page = client.get("/console/dpo/alertes").text
    [row] = [r for r in re.findall(r"<tr><th scope=\"row\">.*?</tr>", page, re.S)
             if "cci-puy-de-dome a lancé" in r]
    said = re.search(r"entre (\S+ \S+) et (\S+ \S+)", row).groups()
    shown = re.search(r'class="alert-period">du (\S+ \S+)<br>au (\S+ \S+)</td>', row).groups()
    assert said == shown  # the explanation and the period column tell the same times
    link = re.search(r'class="alert-events" href="([^"]+)"', row)[1].replace("&amp;", "&")
    events = client.get(link)
    assert events.status_code == 200 and "prt_" not in link
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>[^<]*</td><td>([^<]*)</td>', events.text)
    from tests.console_world import MEMBERS

    cci = next(m[1] for m in MEMBERS if m[0] == "cci-puy-de-dome")
    assert rows and {member for _, member in rows} == {cci}  # that member's events only
    exports = {e.seq for e in hub.audit.search(member="cci-puy-de-dome", action="audit_export")}
    assert exports <= {int(seq) for seq, _ in rows}  # every export behind the alert is there
    entry = re.search(r'name="entree" value="(\d+)"', row)[1]
    done = client.post("/console/dpo/alertes/prise-en-compte",
                       data={"csrf": csrf_of(page), "entree": entry})
    assert done.status_code == 200 and "Alerte prise en compte" in done.text
    [row] = [r for r in re.findall(r"<tr><th scope=\"row\">.*?</tr>", done.text, re.S)
             if "cci-puy-de-dome a lancé" in r]
    assert "Prise en compte par dpo le" in row and 'name="entree"' not in row
    [ack] = hub.audit.search(action="audit_alert_ack")
    assert ack.actor_user == _account(hub, "dpo") and ack.fields == (f"alerte.{entry}",)
    wrong = client.post("/console/dpo/alertes/prise-en-compte",
                        data={"csrf": csrf_of(page), "entree": str(ack.seq)})
    assert wrong.status_code == 404  # an entry that records no alert


# The console's dates at the ends of the calendar (found probing a running hub): a day,
# month or semester the hub cannot turn into a moment (year 1 in Paris is before year 1
# in UTC; the day after 9999-12-31 does not exist) is a 400 page like any malformed date,
# never a 500, and never an export that stops half-written behind a 200.
EDGES = [("depuis", "0001-01-01"), ("jusqua", "9999-12-31")]


@pytest.mark.parametrize("target", ["/console/dpo/journal", "/console/dpo/export",
                                    "/console/dpo/export.csv"])
@pytest.mark.parametrize(("field", "day"), EDGES)
def test_a_log_search_day_at_the_ends_of_the_calendar_is_a_400(world, target, field, day):
    client = world["client"]
    sign_in(client, "dpo")
    token = csrf_of(client.get("/console/dpo/journal").text)
    answer = client.post(target, data={"csrf": token, field: day})
    assert answer.status_code == 400, answer.text[:300]
    assert "Date" in answer.text


@pytest.mark.parametrize("query", ["semestre=9999-S2", "semestre=0000-S1", "du=0000-01",
                                   "au=9999-12"])
@pytest.mark.parametrize("target", ["/console/coordination/indicateurs",
                                    "/console/coordination/indicateurs.csv"])
def test_an_indicator_period_at_the_ends_of_the_calendar_is_a_400(world, target, query):
    client = world["client"]
    sign_in(client, "coord")
    answer = client.get(f"{target}?{query}")
    assert answer.status_code == 400, answer.text[:300]


@pytest.mark.parametrize("month", ["9999-12", "0000-01"])
def test_a_meeting_month_at_the_ends_of_the_calendar_shows_this_month(world, month):
    """As a malformed month does."""
    client = world["client"]
    sign_in(client, "coord")
    answer = client.get(f"/console/coordination/reunion?mois={month}")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.text == client.get("/console/coordination/reunion?mois=x").text


def test_a_meeting_decision_sends_back_to_the_notes_section_of_the_porteur(world):
    client = world["client"]
    sign_in(client, "coord")
    porteur = world["porteurs"]["F-INSTALLE"]
    page = client.get(f"/console/coordination/porteurs/{porteur}").text
    answer = client.post(f"/console/coordination/porteurs/{porteur}/decisions",
                         follow_redirects=False,
                         data={"csrf": csrf_of(page), "quoi": "a_voir", "note": "Local trouvé ?"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == (
        f"/console/coordination/porteurs/{porteur}?fait=a_voir#avis")


def _pinned(page: str) -> str:
    """The log's last seq the search is pinned to, as the form carries it to the next pages."""
    found = re.search(r'name="jusqu_au_n" value="(\d+)"', page)
    return found[1] if found else ""


def test_paging_through_a_persons_events_in_the_console_shows_each_event_once(world):
    """Each page view logs an event about the person searched: the pages are pinned to the
    log's last seq at the first one, none shifted (an event shown again atop the next)."""
    client, hub = world["client"], world["hub"]
    from hub.services.audit import trail as audit

    porteur = world["porteurs"]["F-INSTALLE"]
    with hub.uow() as uow:
        [fiche] = uow.fiches.of_porteur(porteur)
    audit.record(hub, [audit.event(hub, "api_read", "cci-puy-de-dome", porteur_id=porteur,
                                   fiches=[(fiche.member_id, fiche.fiche_id)],
                                   fields=["porteur.nom"], purpose="accompagnement")
                       for _ in range(250)])
    sign_in(client, "dpo")
    token = csrf_of(client.get("/console/dpo/journal").text)
    first = client.post("/console/dpo/journal", data={"csrf": token, "porteur": porteur}).text
    seqs = [seq for seq, _ in _log_rows(first)]
    total = int(re.search(r"(\d+) événement\(s\)", first)[1])
    for number in (2, 3):
        page = client.post("/console/dpo/journal", data={
            "csrf": token, "porteur": porteur, "aller": str(number),
            "jusqu_au_n": _pinned(first)}).text
        seqs += [seq for seq, _ in _log_rows(page)]
    assert len(seqs) == len(set(seqs)) == total > 250
    assert seqs == sorted(seqs, reverse=True)


def test_the_meeting_sheet_shows_nothing_of_a_porteur_the_coordination_no_longer_sees(world):
    from hub.services.accounts.auth import Caller
    from hub.services.privacy import consents

    client, hub = world["client"], world["hub"]
    sign_in(client, "coord")
    porteur = world["porteurs"]["F-INSTALLE"]
    page = client.get(f"/console/coordination/porteurs/{porteur}").text
    client.post(f"/console/coordination/porteurs/{porteur}/decisions", follow_redirects=False,
                data={"csrf": csrf_of(page), "quoi": "a_voir", "note": "Local trouvé ?"})
    record = hub.consents.by_reference("commune-ambert", "CST-F-INSTALLE")
    consents.withdraw_consent(hub, Caller("commune-ambert", "", "commune", "accueil"), record.id)
    sheet = client.get("/console/coordination/reunion").text
    shown = sheet.split("À voir en réunion")[1].split("<h2>")[0]
    assert "Local trouvé" not in sheet and "(porteur non visible)" not in shown
    assert porteur not in sheet and "Martinelliac" not in sheet
