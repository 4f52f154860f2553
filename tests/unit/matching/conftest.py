"""Fixtures of the matching tests."""

from __future__ import annotations

import pytest

from hub.domain.matching.model import MatchModel
from tests.unit.matching.matching_factories import hand_model


@pytest.fixture
def model() -> MatchModel:
    return hand_model()
