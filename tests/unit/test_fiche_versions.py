from hub.domain.fiches import Held, Outcome, decide, receipt_id


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
