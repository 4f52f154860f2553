"""schemas/consent.v1.json and schemas/notice.v1.json accept what they should, nothing else."""

from __future__ import annotations

import pytest

from capactif_demo.consent_examples import EXAMPLE_TIME, example_submission
from consent.submission import notice_hash
from schemas.loader import validator
from tests.fakes.consent_registry import InMemoryConsentRegistry

HASH = notice_hash("Notice")


def test_example_submission_is_valid():
    assert validator("consent").errors(example_submission(1, HASH, EXAMPLE_TIME)) == []


def test_named_members_are_optional_but_not_empty():
    with_members = example_submission(1, HASH, EXAMPLE_TIME, membres_destinataires=["bge"])
    assert validator("consent").is_valid(with_members)
    empty = example_submission(1, HASH, EXAMPLE_TIME, membres_destinataires=[])
    assert not validator("consent").is_valid(empty)


@pytest.mark.parametrize(("field", "value"), [
    ("mode", "telephone"),
    ("finalites", ["prospection"]),
    ("roles_destinataires", ["banque"]),
    ("notice", {"version": 1, "empreinte": "XYZ"}),
    ("preuve", {"type": "scan_sha256", "valeur": "not-a-hash"}),
    ("recueilli_le", "2026-03-02"),
    ("membre", "PFIL EST"),
])
def test_invalid_values_are_refused(field, value):
    document = example_submission(1, HASH, EXAMPLE_TIME, **{field: value})
    assert not validator("consent").is_valid(document)


def test_unknown_fields_are_refused():
    document = example_submission(1, HASH, EXAMPLE_TIME, nom="Durand")
    assert [e.code for e in validator("consent").errors(document)] == ["unexpected_field"]


def test_stored_notice_document_follows_the_notice_schema():
    registry = InMemoryConsentRegistry(lambda: EXAMPLE_TIME)
    version, _ = registry.store_notice("Notice")
    assert validator("notice").errors(registry.notice(version).as_document()) == []
