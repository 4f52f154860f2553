"""One contract for console accounts, sessions and network members, kept by the store's repositories on
SQLite and PostgreSQL and by the in-memory fakes that service tests may use instead."""

import datetime as dt
import inspect
import shutil

import pytest
import sqlalchemy as sa

from hub.store.console_repository import Sessions, Users
from hub.store.engine import create_engine
from hub.store.records import User
from hub.store.repositories import Members
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.fakes.accounts import FakeMembers, FakeSessions, FakeUsers

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
def accounts(request, tmp_path):
    """(users, sessions, members) repositories of one kind, on an empty store."""
    if request.param == "fake":
        users = FakeUsers()
        yield users, FakeSessions(users), FakeMembers()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "hub.sqlite3")
    else:
        url = _fresh_pg_database(request.getfixturevalue("postgres_url"))
    engine = create_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            yield Users(conn), Sessions(conn), Members(conn)
    finally:
        engine.dispose()
        if request.param == "postgresql":
            _drop_pg_database(url)


def _user(user_id: str, login: str, role: str = "coordinateur") -> User:
    return User(id=user_id, login=login, role=role, password_hash="argon2$x", active=True,
                failed_attempts=0, locked_until=None, last_login_at=None,
                created_at=NOW, updated_at=NOW)


def _session(token_hash: str, user_id: str, hours: float) -> dict:
    return {"token_hash": token_hash, "user_id": user_id, "csrf_token": "c" * 32,
            "created_at": NOW, "expires_at": NOW + dt.timedelta(hours=hours)}


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_the_fakes_offer_what_the_repositories_offer():
    for real, fake in ((Users, FakeUsers), (Sessions, FakeSessions), (Members, FakeMembers)):
        public = {n for n, _ in inspect.getmembers(real, inspect.isfunction) if not n.startswith("_")}
        assert public <= set(dir(fake)), (real.__name__, public - set(dir(fake)))


def test_a_login_is_taken_once_and_accounts_list_by_login(accounts):
    users, _, _ = accounts
    assert users.add(_user("u2", "zoe")) and users.add(_user("u1", "camille", "dpo"))
    assert not users.add(_user("u3", "camille"))
    assert [u.login for u in users.all()] == ["camille", "zoe"]
    assert users.by_login("camille").id == "u1" and users.get("u2").login == "zoe"
    assert users.by_login("personne") is None and users.get("u9") is None


def test_an_update_changes_only_the_given_fields(accounts):
    users, _, _ = accounts
    users.add(_user("u1", "camille"))
    users.update("u1", failed_attempts=3, locked_until=NOW + dt.timedelta(minutes=15))
    changed = users.get("u1")
    assert changed.failed_attempts == 3 and changed.login == "camille"
    assert _aware(changed.locked_until) == NOW + dt.timedelta(minutes=15)


def test_a_session_carries_its_account_and_ends_by_token_user_or_expiry(accounts):
    users, sessions, _ = accounts
    users.add(_user("u1", "camille", "dpo"))
    users.add(_user("u2", "zoe"))
    for token, user, hours in (("t1", "u1", 8), ("t2", "u1", 8), ("t3", "u2", -1), ("t4", "u2", 8)):
        sessions.add(_session(token, user, hours))
    found = sessions.get("t1")
    assert (found.user_id, found.login, found.role, found.active) == ("u1", "camille", "dpo", True)
    sessions.delete("t4")
    sessions.delete_expired(NOW)
    assert sessions.get("t3") is None and sessions.get("t4") is None and sessions.get("t2")
    sessions.delete_of_user("u1")
    assert [sessions.get(t) for t in ("t1", "t2")] == [None, None]
    sessions.add(_session("t5", "u1", 8))
    sessions.delete_all()  # a restore: every console user signs in again
    assert [sessions.get(t) for t in ("t2", "t5")] == [None, None]


def test_a_session_of_an_unknown_account_is_refused(accounts):
    _, sessions, _ = accounts
    with pytest.raises((ValueError, sa.exc.IntegrityError)):
        sessions.add(_session("t1", "nobody", 8))


def _member(member_id: str, name: str) -> dict:
    return {"id": member_id, "name": name, "kind": "commune", "role": "prescripteur",
            "contact_email": "dpo@example.org", "territory": ["63"], "updated_at": NOW}


def test_a_member_is_added_once_then_updated_and_listed_by_id(accounts):
    _, _, members = accounts
    assert members.upsert(_member("commune-b", "B")) and members.upsert(_member("commune-a", "A"))
    assert not members.upsert({**_member("commune-b", "B bis"), "webhook_url": "https://b.example"})
    assert [(m.id, m.name) for m in members.all()] == [("commune-a", "A"), ("commune-b", "B bis")]
    updated = members.get("commune-b")
    assert updated.webhook_url == "https://b.example" and updated.territory == ["63"]
    assert _aware(updated.created_at) == NOW and members.get("commune-z") is None


def test_a_rotated_credential_keeps_the_former_one_valid_until_the_overlap_ends(accounts):
    _, _, members = accounts
    members.upsert(_member("commune-a", "A"))
    members.set_credentials("commune-a", "h1", "k1")
    assert members.rotate_credentials("commune-a", "h2", "k2", NOW + dt.timedelta(hours=72))
    member = members.get("commune-a")
    assert (member.token_hash, member.public_key) == ("h2", "k2")
    assert (member.previous_token_hash, member.previous_public_key) == ("h1", "k1")
    assert _aware(member.previous_valid_until) == NOW + dt.timedelta(hours=72)


def test_a_restore_puts_a_member_s_standing_back_as_a_decision_left_it(accounts):
    _, _, members = accounts
    members.upsert(_member("commune-a", "A"))
    members.set_credentials("commune-a", "h1", "k1")
    members.put_standing("commune-a", {
        "role": "accueil", "webhook_url": None, "territory": ["63003"], "token_hash": "h3",
        "public_key": "k3", "previous_token_hash": "h2", "previous_public_key": "k2",
        "previous_valid_until": NOW, "updated_at": NOW})
    member = members.get("commune-a")
    assert (member.role, member.territory, member.name) == ("accueil", ["63003"], "A")
    assert (member.token_hash, member.public_key, member.previous_token_hash) == ("h3", "k3", "h2")
    assert _aware(member.previous_valid_until) == NOW


def test_a_member_that_left_keeps_its_row_without_any_credential_and_comes_back_without_one(
        accounts):
    _, _, members = accounts
    members.upsert(_member("commune-a", "A"))
    members.upsert(_member("commune-b", "B"))
    members.set_credentials("commune-a", "h1", "k1")
    members.rotate_credentials("commune-a", "h2", "k2", NOW + dt.timedelta(hours=72))
    members.mark_left("commune-a", NOW, "usr_0123")
    gone = members.get("commune-a")
    assert (gone.status, gone.active, gone.left_by) == ("left", False, "usr_0123")
    assert _aware(gone.left_at) == NOW and gone.name == "A"
    assert (gone.token_hash, gone.public_key, gone.previous_token_hash,
            gone.previous_public_key, gone.previous_valid_until) == (None,) * 5
    assert [m.id for m in members.active()] == ["commune-b"]
    assert not members.rotate_credentials("commune-a", "h3", "k3", NOW)  # nothing to rotate
    assert not members.rotate_credentials("commune-b", "h3", "k3", NOW)  # never had one
    assert (members.get("commune-a").token_hash, members.get("commune-b").token_hash) == (
        None, None)
    members.readmit("commune-a", NOW + dt.timedelta(days=1))
    back = members.get("commune-a")
    assert back.active and (back.left_at, back.left_by, back.token_hash) == (None, None, None)
