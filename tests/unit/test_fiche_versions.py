import orjson

from hub.domain.fiches import Held, Outcome, canonical_hash, content_hash, decide, receipt_id
from schemas.numbers import same_numbers


def test_a_fiche_never_seen_is_new():
    assert decide(None, 1, "h1") is Outcome.NEW_FICHE


def test_the_same_version_with_the_same_content_is_a_duplicate():
    assert decide(Held(2, {1: "h1", 2: "h2"}), 2, "h2") is Outcome.DUPLICATE


def test_the_same_version_with_other_content_is_a_conflict():
    assert decide(Held(2, {1: "h1", 2: "h2"}), 2, "other") is Outcome.CONFLICT


def test_an_old_version_never_stored_is_stale():
    assert decide(Held(5, {5: "h5"}), 3, "h3") is Outcome.STALE


def test_a_higher_version_is_new():
    assert decide(Held(5, {5: "h5"}), 6, "h6") is Outcome.NEW_VERSION


def test_an_old_version_already_stored_is_still_a_duplicate():
    assert decide(Held(5, {3: "h3", 5: "h5"}), 3, "h3") is Outcome.DUPLICATE


def test_receipts_are_deterministic_per_fiche_version_and_content():
    first = receipt_id("m", "F1", 1, "h")
    assert first == receipt_id("m", "F1", 1, "h")
    assert first != receipt_id("m", "F1", 2, "h")
    assert first != receipt_id("m", "F1", 1, "other")


def test_equal_json_numbers_have_one_canonical_form():
    fiche = {"a": 8000.0, "b": [1e3, -0.0, 0.5], "c": {"d": 2.0**53, "e": 1e300, "f": 7}}
    assert same_numbers(fiche) == {"a": 8000, "b": [1000, 0, 0.5],
                                   "c": {"d": 2**53, "e": 1e300, "f": 7}}
    assert type(same_numbers(fiche)["c"]["e"]) is float  # beyond 2**53: left a float
    assert type(same_numbers({"x": 2.0**53 * 2})["x"]) is float


def test_the_canonical_hash_of_a_fiche_ignores_how_its_whole_numbers_were_written():
    floated, whole = {"n": 8000.0, "s": "8000.0"}, {"n": 8000, "s": "8000.0"}
    assert canonical_hash(floated) == canonical_hash(whole)
    assert canonical_hash({"n": 8000.5}) != canonical_hash({"n": 8000})
    assert canonical_hash({"s": "8000.0"}) != canonical_hash({"s": "8000"})


def test_a_version_stored_before_numbers_had_one_form_is_matched_as_sent():
    assert decide(Held(2, {2: "as-sent"}), 2, "canonical", "as-sent") is Outcome.DUPLICATE
    assert decide(Held(2, {2: "as-sent"}), 2, "canonical", "other") is Outcome.CONFLICT


def test_a_fiche_without_a_whole_float_is_hashed_without_the_numbers_walk(monkeypatch):
    """The walk that writes whole floats as integers runs only where orjson may have
    written one ("8000.0"): a time's "17:03:17.016129" or a version "1.05" is none."""
    from hub.domain import fiches

    walked = []
    monkeypatch.setattr(fiches, "same_numbers", lambda d: walked.append(d) or same_numbers(d))
    timed = {"mis_a_jour_le": "2026-10-29T17:03:17.016129+00:00", "v": "1.05", "n": 0.05}
    assert canonical_hash(timed) == content_hash(orjson.dumps(timed, option=orjson.OPT_SORT_KEYS))
    assert walked == []
    for floated, whole in (({"n": 8000.0}, {"n": 8000}), ({"n": [-0.0]}, {"n": [0]}),
                           (2.0**53, 2**53), ({"s": "1.0"}, {"s": "1.0"})):
        assert canonical_hash(floated) == canonical_hash(whole)
    assert len(walked) == 5  # the three floats, and "1.0" (in a text) both times
