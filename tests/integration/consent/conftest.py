"""Fixtures for the SQL consent registry, on both databases (db_engine fixture)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from consent.sql import SqlConsentRegistry
from tests.factories import Clock

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def sql_registry(db_engine, clock) -> SqlConsentRegistry:
    return SqlConsentRegistry(db_engine, clock)


@pytest.fixture
def submission(sql_registry, clock):
    version, sha256 = sql_registry.store_notice(NOTICE_TEXT)

    def build(**overrides: Any) -> dict[str, Any]:
        return example_submission(version, sha256, clock.now, **overrides)

    return build
