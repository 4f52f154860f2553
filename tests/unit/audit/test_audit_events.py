"""Access events: canonical encoding as Merkle leaf data, and no personal value ever held."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.audit.events import AccessEvent, canonical_json, pseudonymise

KEY = b"k" * 32
AT = datetime(2026, 11, 26, 10, 30, 0, 123456, tzinfo=UTC)


def an_event(**overrides: object) -> AccessEvent:
    values: dict[str, object] = {
        "at": AT, "actor_member": "cci-63", "action": "porteur_view", "outcome": "allowed",
        "actor_user": "agent-7", "porteur_ref": pseudonymise("P-1", KEY),
        "fiche_refs": (pseudonymise("pfil-1/F-9", KEY),), "fields": ("projet.intitule",),
        "purpose": "orientation", "policy_version": "2026-11", "request_id": "req-1", "seq": 0,
    }
    values.update(overrides)
    return AccessEvent(**values)  # type: ignore[arg-type]


def test_canonical_encoding_is_sorted_compact_utf8() -> None:
    data = an_event().canonical()
    document = json.loads(data)
    assert list(document) == sorted(document)
    assert b" " not in data
    assert data == canonical_json(document)
    assert document["at"] == "2026-11-26T10:30:00.123456Z"


def test_event_round_trips_through_its_dictionary() -> None:
    event = an_event()
    assert AccessEvent.from_dict(json.loads(event.canonical())) == event


def test_time_is_stored_in_utc_whatever_the_offset_given() -> None:
    paris = timezone(timedelta(hours=1))
    event = an_event(at=AT.astimezone(paris))
    assert event.at.tzinfo == UTC and event.canonical() == an_event().canonical()


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        an_event(at=datetime(2026, 11, 26, 10, 0))


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("porteur_ref", "Jeanne Dupont"),
        ("fiche_refs", ("F-9",)),
        ("fields", ("jeanne.dupont@example.org is here",)),
        ("actor_user", "jeanne.dupont@example.org"),
        ("outcome", "maybe"),
        ("action", "Porteur View"),
    ],
)
def test_values_that_could_carry_personal_data_are_refused(attribute: str, value: object) -> None:
    with pytest.raises(ValueError) as error:
        an_event(**{attribute: value})
    assert str(value) not in str(error.value)


def test_an_event_without_seq_cannot_be_hashed() -> None:
    with pytest.raises(ValueError):
        an_event(seq=None).canonical()


def test_pseudonyms_are_stable_per_key_and_differ_across_keys() -> None:
    assert pseudonymise("P-1", KEY) == pseudonymise("P-1", KEY)
    assert pseudonymise("P-1", KEY) != pseudonymise("P-1", b"x" * 32)
    assert "P-1" not in pseudonymise("P-1", KEY)


def test_short_pseudonymisation_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        pseudonymise("P-1", b"short")


@given(st.lists(st.from_regex(r"[a-z][a-z0-9_.]{0,20}", fullmatch=True), max_size=5))
def test_any_valid_event_round_trips(fields: list[str]) -> None:
    event = an_event(fields=tuple(fields))
    assert AccessEvent.from_dict(json.loads(event.canonical())) == event


def test_an_unsalted_event_hashes_as_before_the_salt_existed() -> None:
    document = json.loads(an_event().canonical())
    assert "salt" not in document
    assert AccessEvent.from_dict(document) == an_event()


def test_a_salted_event_commits_its_salt_and_round_trips() -> None:
    salted = an_event().salted()
    document = json.loads(salted.canonical())
    assert len(document["salt"]) == 32 and salted.salted() == salted
    assert AccessEvent.from_dict(document) == salted
    assert an_event().salted().salt != salted.salt  # one per entry


@pytest.mark.parametrize("salt", ["", "0" * 31, "0" * 33, "G" * 32, "A" * 32, 12])
def test_a_salt_not_32_lowercase_hex_digits_is_refused(salt: object) -> None:
    with pytest.raises(ValueError, match="salt"):
        an_event(salt=salt)
