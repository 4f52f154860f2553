"""Fixtures for connector unit tests: the example commune mapping."""

from pathlib import Path

import pytest

from connectors.mapping import Mapping

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "connectors"


@pytest.fixture
def commune_mapping() -> Mapping:
    return Mapping.load(EXAMPLES / "commune-tableur" / "correspondance.json")
