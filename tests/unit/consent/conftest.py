"""Fixtures for the consent unit tests: an in-memory registry on a settable clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from consent.examples import NOTICE_TEXT, example_submission
from consent.fake import InMemoryConsentRegistry

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
