"""Signing in to the console: password check with lock-out, server-side sessions,
anti-forgery tokens, and the access events of sign-ins (user ids, never logins)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from hub.audit.rows import as_utc
from hub.bootstrap import Hub
from hub.errors import ConsoleMemberNotInNetwork, SignInFailed
from hub.services.accounts.passwords import hash_password, needs_rehash, password_matches, spend_the_same_time
from hub.services.audit import trail as audit
from hub.store.console_repository import Users
from hub.store.records import User
from hub.store.uow import UnitOfWork


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


def sign_in(hub: Hub, login: str, password: str, source: str = "-") -> SignedIn:
    """Open a session, or raise SignInFailed (the attempt is logged). Unknown, disabled
    and locked logins and a wrong password get the same answer, for the same work; a
    login is locked after `HUB_CONSOLE_MAX_FAILED_LOGINS` failures in a row, a source
    address after `HUB_CONSOLE_MAX_FAILED_PER_SOURCE` failures (any login) within
    `HUB_CONSOLE_LOCKOUT_MINUTES`."""
    now, member = hub.clock(), console_member(hub)
    _check_in_network(hub, member)
    with hub.uow() as uow:
        users = uow.users
        user = users.by_login(login)
        refused = _source_locked(hub, source, now) or _refused(hub, users, user, password, now)
        signed_in = None if refused or user is None else _open(hub, uow, user, password,
                                                                member, now)
        uow.commit()
    audit.record(hub, [audit.event(hub, "login", member, user=user.id if user else None,
                                   outcome="denied" if refused else "allowed")])
    if refused:
        hub.console_refusals.add(source, now)
        raise _failed(hub)
    assert signed_in is not None
    return signed_in


def session_of(hub: Hub, token: str | None) -> ConsoleSession | None:
    """The live session behind a cookie token, or None (unknown, expired, account off)."""
    if not token:
        return None
    with hub.uow() as uow:
        row = uow.sessions.get(_digest(token))
    if row is None or not row.active or as_utc(row.expires_at) <= hub.clock():
        return None
    member = console_member(hub)
    _check_in_network(hub, member)
    return ConsoleSession(row.user_id, row.login, row.role, member, row.csrf_token,
                          as_utc(row.expires_at))


def sign_out(hub: Hub, token: str | None) -> None:
    if token:
        with hub.uow() as uow:
            uow.sessions.delete(_digest(token))
            uow.commit()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def console_member(hub: Hub, active: Iterable[tuple[str, str]] | None = None) -> str:
    """The member the console acts for: the setting, else the network's coordination (one
    still in the network). `active`: the (id, role) of the members in the network, by id,
    where the caller read them already."""
    if hub.settings.console_member:
        return hub.settings.console_member
    if active is None:
        from hub.services.accounts.members import list_members

        active = [(m["id"], m["role"]) for m in list_members(hub) if m["statut"] == "actif"]
    return next((member for member, role in active if role == "coordination"), "console")


def _check_in_network(hub: Hub, member_id: str) -> None:
    """The console acts (and is logged) as `member_id`: never as one that left."""
    if not hub.settings.console_member:
        return  # the coordination still in the network, or none ("console")
    with hub.uow() as uow:
        member = uow.members.get(member_id)
    if member is None or not member.active:
        state = "n'est pas" if member is None else "n'est plus"
        raise ConsoleMemberNotInNetwork(
            f"HUB_CONSOLE_MEMBER désigne {member_id[:64]!r}, qui {state} membre du réseau : "
            "nommez un membre du réseau (sa coordination), ou laissez-le vide.",
            f"HUB_CONSOLE_MEMBER names {member_id[:64]!r}, which is not (or no longer) a "
            "member of the network: name a member in the network (its coordination), or "
            "leave it empty.")


def _source_locked(hub: Hub, source: str, now: dt.datetime) -> bool:
    return hub.console_refusals.count(source, now) >= hub.settings.console_max_failed_per_source


def _refused(hub: Hub, users: Users, user: User | None, password: str, now: dt.datetime) -> bool:
    """True when the sign-in is refused; every path hashes the password once."""
    if user is None or not user.active:
        spend_the_same_time(password)
        return True
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        spend_the_same_time(password)
        return True
    if password_matches(password, user.password_hash):
        return False
    failures = user.failed_attempts + 1
    if failures >= hub.settings.console_max_failed_logins:
        until = now + dt.timedelta(minutes=hub.settings.console_lockout_minutes)
        users.update(user.id, failed_attempts=0, locked_until=until)
    else:
        users.update(user.id, failed_attempts=failures)
    return True


def _open(hub: Hub, uow: UnitOfWork, user: User, password: str, member: str,
          now: dt.datetime) -> SignedIn:
    token, csrf = new_token(), new_token()
    expires = now + dt.timedelta(hours=hub.settings.console_session_hours)
    sessions = uow.sessions
    sessions.delete_expired(now)
    sessions.add({"token_hash": _digest(token), "user_id": user.id, "csrf_token": csrf,
                  "created_at": now, "expires_at": expires})
    rehashed = {"password_hash": hash_password(password)} if needs_rehash(
        user.password_hash) else {}  # an old scrypt hash becomes argon2id at this sign-in
    uow.users.update(user.id, failed_attempts=0, locked_until=None, last_login_at=now,
                       **rehashed)
    return SignedIn(token, ConsoleSession(user.id, user.login, user.role, member, csrf, expires))


def _failed(hub: Hub) -> SignInFailed:
    # One answer for a wrong password, an unknown or disabled login and a lock-out, so the
    # page never tells which logins exist.
    minutes = f"{hub.settings.console_lockout_minutes:g}"
    return SignInFailed(
        "Connexion refusée : identifiant ou mot de passe incorrect, ou trop d'essais manqués "
        f"(la connexion est alors bloquée pendant {minutes} minutes ; un administrateur peut "
        "débloquer un compte).",
        "Sign-in refused: wrong login or password, or too many failed attempts (sign-in is "
        f"then blocked for {minutes} minutes; an administrator can unlock an account).")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
