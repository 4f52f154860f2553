"""Fixtures for the consent unit tests: an in-memory registry on a settable clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from tests.factories import Clock
from tests.fakes.consent_registry import InMemoryConsentRegistry

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def registry(clock: Clock) -> InMemoryConsentRegistry:
    return InMemoryConsentRegistry(clock)


@pytest.fixture
def notice(registry: InMemoryConsentRegistry) -> tuple[int, str]:
    return registry.store_notice(NOTICE_TEXT)


@pytest.fixture
def submission(notice: tuple[int, str], clock: Clock):
    def build(**overrides: Any) -> dict[str, Any]:
        return example_submission(notice[0], notice[1], clock.now, **overrides)

    return build
