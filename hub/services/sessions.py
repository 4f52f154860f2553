"""Signing in to the console: password check with lock-out, server-side sessions,
anti-forgery tokens, and the access events of sign-ins (user ids, never logins)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from hub.audit.rows import as_utc
from hub.bootstrap import Hub
from hub.errors import AccountLocked, HubError, SignInFailed
from hub.services import audit
from hub.services.passwords import password_matches, spend_the_same_time
from hub.store.console_repository import Sessions, Users


@dataclasses.dataclass(frozen=True)
class ConsoleSession:
    """A signed-in person, acting for the console's member (`member`)."""

    user_id: str
    login: str
    role: str
    member: str
    csrf_token: str
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class SignedIn:
    token: str  # goes to the cookie only; the store keeps its SHA-256
    session: ConsoleSession


def sign_in(hub: Hub, login: str, password: str) -> SignedIn:
    """Open a session, or raise SignInFailed / AccountLocked (the attempt is logged)."""
    now, member = hub.clock(), console_member(hub)
    with hub.uow() as uow:
        users = Users(uow.connection)
        user = users.by_login(login)
        refusal = _refusal(hub, users, user, password, now)
        signed_in = None if refusal else _open(hub, uow.connection, user, member, now)
        uow.commit()
    audit.record(hub, [audit.event(hub, "login", member, user=user.id if user else None,
                                   outcome="denied" if refusal else "allowed")])
    if refusal is not None:
        raise refusal
    assert signed_in is not None
    return signed_in


def session_of(hub: Hub, token: str | None) -> ConsoleSession | None:
    """The live session behind a cookie token, or None (unknown, expired, account off)."""
    if not token:
        return None
    with hub.uow() as uow:
        row = Sessions(uow.connection).get(_digest(token))
    if row is None or not row.active or as_utc(row.expires_at) <= hub.clock():
        return None
    return ConsoleSession(row.user_id, row.login, row.role, console_member(hub), row.csrf_token,
                          as_utc(row.expires_at))


def sign_out(hub: Hub, token: str | None) -> None:
    if token:
        with hub.uow() as uow:
            Sessions(uow.connection).delete(_digest(token))
            uow.commit()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def console_member(hub: Hub) -> str:
    """The member the console acts for: the setting, else the network's coordination."""
    if hub.settings.console_member:
        return hub.settings.console_member
    from hub.services.members import list_members

    coordination = [m["id"] for m in list_members(hub) if m["role"] == "coordination"]
    return coordination[0] if coordination else "console"


def _refusal(hub: Hub, users: Users, user: Any, password: str,
             now: dt.datetime) -> HubError | None:
    if user is None or not user.active:
        spend_the_same_time(password)
        return _failed()
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        return _locked(hub)
    if password_matches(password, user.password_hash):
        return None
    failures = user.failed_attempts + 1
    if failures >= hub.settings.console_max_failed_logins:
        until = now + dt.timedelta(minutes=hub.settings.console_lockout_minutes)
        users.update(user.id, failed_attempts=0, locked_until=until)
        return _locked(hub)
    users.update(user.id, failed_attempts=failures)
    return _failed()


def _open(hub: Hub, conn: Any, user: Any, member: str, now: dt.datetime) -> SignedIn:
    token, csrf = new_token(), new_token()
    expires = now + dt.timedelta(hours=hub.settings.console_session_hours)
    sessions = Sessions(conn)
    sessions.delete_expired(now)
    sessions.add({"token_hash": _digest(token), "user_id": user.id, "csrf_token": csrf,
                  "created_at": now, "expires_at": expires})
    Users(conn).update(user.id, failed_attempts=0, locked_until=None, last_login_at=now)
    return SignedIn(token, ConsoleSession(user.id, user.login, user.role, member, csrf, expires))


def _failed() -> SignInFailed:
    return SignInFailed("Identifiant ou mot de passe incorrect.", "Wrong login or password.")


def _locked(hub: Hub) -> AccountLocked:
    minutes = f"{hub.settings.console_lockout_minutes:g}"
    return AccountLocked(
        f"Trop d'essais manqués : ce compte est bloqué pendant {minutes} minutes. "
        "Réessayez plus tard ou demandez à un administrateur de le débloquer.",
        f"Too many failed attempts: this account is locked for {minutes} minutes. "
        "Try again later or ask an administrator to unlock it.")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
