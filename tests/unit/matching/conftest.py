"""Fixtures of the matching tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench._population import COLUMNS, generate
from hub.domain.matching.model import MatchModel
from tests.unit.matching.matching_factories import hand_model


@pytest.fixture
def model() -> MatchModel:
    return hand_model()


@pytest.fixture(scope="module")
def people(tmp_path_factory) -> Path:
    """A people CSV of 400 generated persons (the batch's input), one a test module."""
    path = tmp_path_factory.mktemp("people") / "people.csv"
    rows, _truth = generate(400, seed=3)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path
