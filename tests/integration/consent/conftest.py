"""Fixtures for the SQL consent registry, on both databases (db_engine fixture)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from consent.examples import NOTICE_TEXT, example_submission
from consent.sql import SqlConsentRegistry

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@dataclasses.dataclass
class Clock:
    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sql_registry(db_engine, clock) -> SqlConsentRegistry:
    return SqlConsentRegistry(db_engine, clock)


@pytest.fixture
def submission(sql_registry, clock):
    version, sha256 = sql_registry.store_notice(NOTICE_TEXT)

    def build(**overrides: Any) -> dict[str, Any]:
        return example_submission(version, sha256, clock.now, **overrides)

    return build
