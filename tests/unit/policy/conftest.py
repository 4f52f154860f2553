"""Fixtures: the shipped default policy, the fiche schema, a copy of the policy to break."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import schemas
from hub.domain.policy import Policy, load_policy

ROOT = Path(__file__).resolve().parents[3]
SHIPPED_POLICY_FILE = ROOT / "examples" / "policy.json"
SHIPPED_DOCUMENT: dict[str, Any] = json.loads(SHIPPED_POLICY_FILE.read_text(encoding="utf-8"))
SHIPPED_POLICY: Policy = load_policy(SHIPPED_DOCUMENT, schemas.load_schema("fiche"))


@pytest.fixture
def fiche_schema() -> dict[str, Any]:
    return schemas.load_schema("fiche")


@pytest.fixture
def policy_document() -> dict[str, Any]:
    """A deep copy of the shipped policy document, free to break."""
    return copy.deepcopy(SHIPPED_DOCUMENT)


@pytest.fixture
def policy() -> Policy:
    return SHIPPED_POLICY
