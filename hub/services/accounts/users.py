"""Console accounts: people (coordinators, DPOs, administrators) who sign in to the
console, as opposed to members, which are organisations calling the API.

Logins are short technical names chosen by the administrator; passwords are hashed
with scrypt (`hub.services.accounts.passwords`) and never leave this module in clear.

Every change is an access event (`account_create`, `account_role`, `account_password`,
`account_disable`, `account_enable`, `account_unlock`): the acting account (`by`, None
from the command line) and, as the event's one field, the id of the account changed;
never a login or a password.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from hub.audit.rows import as_utc
from hub.bootstrap import Hub
from hub.errors import AccountExists, InvalidAccount, NotFound
from hub.services.accounts.passwords import hash_password
from hub.services.accounts.sessions import console_member
from hub.services.audit import trail as audit
from hub.store.records import User
from hub.store.uow import UnitOfWork

ROLES = {"coordinator": "coordination", "dpo": "DPO", "admin": "administration"}
MIN_PASSWORD_LENGTH = 12
ACCOUNT = "account"  # its decisions in the recovery journal (hub.journal)
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


def add_user(hub: Hub, login: str, role: str, password: str, *,
             by: str | None = None) -> dict[str, Any]:
    """Create an account; raises InvalidAccount or AccountExists."""
    _check_login(login)
    _check_role(role)
    _check_password(password)
    now = hub.clock()
    user = User(id="usr_" + secrets.token_hex(8), login=login, role=role,
                password_hash=hash_password(password), active=True, failed_attempts=0,
                locked_until=None, last_login_at=None, created_at=now, updated_at=now)
    with hub.uow() as uow:
        if not uow.users.add(user):
            raise AccountExists("Ce nom de connexion est déjà pris : choisissez-en un autre.",
                                "This login is taken: choose another one.")
        uow.commit()
    _record(hub, "account_create", user.id, by)
    return _public(user)


def list_users(hub: Hub) -> list[dict[str, Any]]:
    now = hub.clock()
    with hub.uow() as uow:
        return [_public(user, now) for user in uow.users.all()]


def set_password(hub: Hub, user_id: str, password: str, *, by: str | None = None) -> None:
    """A new password (a reset by an administrator); every open session of the account ends."""
    _check_password(password)
    _update(hub, user_id, end_sessions=True, password_hash=hash_password(password),
            failed_attempts=0, locked_until=None)
    _record(hub, "account_password", user_id, by)


def set_role(hub: Hub, user_id: str, role: str, *, by: str | None = None) -> None:
    _check_role(role)
    _update(hub, user_id, end_sessions=True, role=role)
    _record(hub, "account_role", user_id, by)


def set_active(hub: Hub, user_id: str, active: bool, *, by: str | None = None) -> None:
    _update(hub, user_id, end_sessions=not active, active=active)
    _record(hub, "account_enable" if active else "account_disable", user_id, by)


def unlock(hub: Hub, user_id: str, *, by: str | None = None) -> None:
    _update(hub, user_id, end_sessions=False, failed_attempts=0, locked_until=None)
    _record(hub, "account_unlock", user_id, by)


def _record(hub: Hub, action: str, user_id: str, by: str | None) -> None:
    audit.record(hub, [audit.event(hub, action, console_member(hub), user=by,
                                   fields=(user_id,))])


def _update(hub: Hub, user_id: str, *, end_sessions: bool, **values: Any) -> None:
    with hub.uow() as uow:
        users = uow.users
        if users.get(user_id) is None:
            raise NotFound("Compte inconnu.", "Unknown account.")
        now = hub.clock()
        users.update(user_id, updated_at=now, **values)
        if end_sessions:
            uow.sessions.delete_of_user(user_id)
        _journal(uow, user_id, now)
        uow.commit()


def _journal(uow: UnitOfWork, user_id: str, now: dt.datetime) -> None:
    """Before the commit, what a restore from an older copy must not undo: an account
    disabled, its role or password changed (a former coordinator's, a password that
    leaked), or enabled again. The password as its scrypt hash, as the store keeps it."""
    user = uow.users.get(user_id)
    assert user is not None
    uow.decisions.journal(ACCOUNT, {"user_id": user.id, "role": user.role,
                                    "active": user.active,
                                    "password_hash": user.password_hash}, now)


def replay_account(uow: UnitOfWork, entry: dict[str, Any], now: dt.datetime) -> str | None:
    """A restore: the account as the decision `entry` left it (none when the copy does not
    know it: created after it, it is gone with it)."""
    if uow.users.get(entry["user_id"]) is None:
        return None
    uow.users.update(entry["user_id"], role=entry["role"], active=entry["active"],
                     password_hash=entry["password_hash"], updated_at=now)
    uow.sessions.delete_of_user(entry["user_id"])
    return str(entry["user_id"])


def _public(user: User, now: dt.datetime | None = None) -> dict[str, Any]:
    locked_until, last_login = user.locked_until, user.last_login_at
    return {"id": user.id, "login": user.login, "role": user.role,
            "role_libelle": ROLES.get(user.role, user.role), "actif": user.active,
            "verrouille": bool(locked_until and now and as_utc(locked_until) > now),
            "derniere_connexion": as_utc(last_login) if last_login else None}


def _check_login(login: str) -> None:
    if not _LOGIN.match(login):
        raise InvalidAccount(
            "Nom de connexion invalide : 2 à 40 caractères parmi a-z, 0-9, point, tiret, "
            "souligné, en commençant par une lettre ou un chiffre.",
            "Invalid login: 2 to 40 characters among a-z, 0-9, dot, hyphen, underscore, "
            "starting with a letter or a digit.")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidAccount(f"Rôle inconnu : choisissez parmi {', '.join(ROLES)}.",
                             f"Unknown role: choose among {', '.join(ROLES)}.")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidAccount(
            f"Mot de passe trop court : au moins {MIN_PASSWORD_LENGTH} caractères.",
            f"Password too short: at least {MIN_PASSWORD_LENGTH} characters.")
