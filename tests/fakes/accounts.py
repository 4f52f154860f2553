"""In-memory console accounts, sessions and network members with the behaviour of
`hub.store`'s `Users`, `Sessions` and `Members` (the same contract tests run on both:
tests/integration/test_account_repositories_contract.py), for tests without a database."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hub.store.records import Member, User, UserSession


class FakeUsers:
    def __init__(self) -> None:
        self.rows: dict[str, User] = {}

    def add(self, user: User) -> bool:
        if user.id in self.rows or self.by_login(user.login) is not None:
            return False
        self.rows[user.id] = user
        return True

    def by_login(self, login: str) -> User | None:
        return next((u for u in self.rows.values() if u.login == login), None)

    def get(self, user_id: str) -> User | None:
        return self.rows.get(user_id)

    def all(self) -> list[User]:
        return sorted(self.rows.values(), key=lambda u: u.login)

    def update(self, user_id: str, **values: Any) -> None:
        if user_id in self.rows:
            self.rows[user_id] = dataclasses.replace(self.rows[user_id], **values)


class FakeSessions:
    def __init__(self, users: FakeUsers) -> None:
        self.users = users
        self.rows: dict[str, dict[str, Any]] = {}

    def add(self, values: dict[str, Any]) -> None:
        if values["user_id"] not in self.users.rows or values["token_hash"] in self.rows:
            raise ValueError("unknown account or session already there")  # a constraint, in SQL
        self.rows[values["token_hash"]] = dict(values)

    def get(self, token_hash: str) -> UserSession | None:
        row = self.rows.get(token_hash)
        if row is None:
            return None
        user = self.users.rows[row["user_id"]]
        return UserSession(**row, login=user.login, role=user.role, active=user.active)

    def delete(self, token_hash: str) -> None:
        self.rows.pop(token_hash, None)

    def delete_of_user(self, user_id: str) -> None:
        self.rows = {k: v for k, v in self.rows.items() if v["user_id"] != user_id}

    def delete_all(self) -> None:
        self.rows = {}

    def delete_expired(self, now: dt.datetime) -> None:
        self.rows = {k: v for k, v in self.rows.items() if v["expires_at"] > now}


class FakeMembers:
    def __init__(self) -> None:
        self.rows: dict[str, Member] = {}

    def get(self, member_id: str) -> Member | None:
        return self.rows.get(member_id)

    def all(self) -> list[Member]:
        return sorted(self.rows.values(), key=lambda m: m.id)

    def upsert(self, values: dict[str, Any]) -> bool:
        existing = self.rows.get(values["id"])
        if existing is None:
            blank = dict.fromkeys(("webhook_url", "token_hash", "public_key", "previous_token_hash",
                                   "previous_public_key", "previous_valid_until"))
            self.rows[values["id"]] = Member(**{"territory": [], **blank, **values,
                                                "created_at": values["updated_at"]})
            return True
        self.rows[values["id"]] = dataclasses.replace(existing, **values)
        return False

    def rotate_credentials(self, member_id: str, token_hash: str, public_key: str,
                           previous_until: dt.datetime) -> bool:
        current = self.rows.get(member_id)
        if current is None or not current.active or current.token_hash is None:
            return False
        self.rows[member_id] = dataclasses.replace(
            current, previous_token_hash=current.token_hash, previous_public_key=current.public_key,
            previous_valid_until=previous_until, token_hash=token_hash, public_key=public_key)
        return True

    def set_credentials(self, member_id: str, token_hash: str, public_key: str) -> None:
        if member_id in self.rows:
            self.rows[member_id] = dataclasses.replace(
                self.rows[member_id], token_hash=token_hash, public_key=public_key)

    def put_standing(self, member_id: str, values: dict[str, Any]) -> None:
        if member_id in self.rows:
            self.rows[member_id] = dataclasses.replace(self.rows[member_id], **values)

    def active(self) -> list[Member]:
        return [m for m in self.all() if m.active]

    def mark_left(self, member_id: str, now: dt.datetime, by: str) -> None:
        self.rows[member_id] = dataclasses.replace(
            self.rows[member_id], status="left", left_at=now, left_by=by, updated_at=now,
            **_NO_CREDENTIALS)

    def readmit(self, member_id: str, now: dt.datetime) -> None:
        self.rows[member_id] = dataclasses.replace(
            self.rows[member_id], status="active", left_at=None, left_by=None, updated_at=now,
            **_NO_CREDENTIALS)


_NO_CREDENTIALS: dict[str, Any] = dict.fromkeys((
    "token_hash", "public_key", "previous_token_hash", "previous_public_key",
    "previous_valid_until"))
