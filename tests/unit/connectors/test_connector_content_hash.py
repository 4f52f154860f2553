"""The connector's skip-unchanged hash counts numbers as the hub's canonical hash does
(docs/protocol.md, "Idempotency"): a CRM that writes 8000 one day and 8000.0 the next has
not changed the fiche, and no new version is sent for it."""

from __future__ import annotations

from connectors.runner import content_hash
from hub.domain.fiches import canonical_hash


def test_a_whole_float_is_the_same_content_as_its_integer() -> None:
    as_ints = {"fiche_id": "F-1", "financement": [{"montant": 8000}], "x": 0, "v": 1}
    as_floats = {"fiche_id": "F-1", "financement": [{"montant": 8000.0}], "x": -0.0, "v": 1}
    assert content_hash(as_floats) == content_hash(as_ints)
    assert canonical_hash(as_floats) == canonical_hash(as_ints)


def test_a_fraction_or_a_float_beyond_2_53_is_other_content() -> None:
    assert content_hash({"m": 8000.5}) != content_hash({"m": 8000})
    assert content_hash({"m": 2.0**60}) != content_hash({"m": 2**60})
    assert canonical_hash({"m": 2.0**60}) != canonical_hash({"m": 2**60})


def test_the_version_and_update_date_are_not_content() -> None:
    assert content_hash({"a": 1, "version": 3, "mis_a_jour_le": "x"}) == content_hash({"a": 1})
