"""Members register the notices they show porteurs: content-addressed, with language and
purposes; a consent names only purposes its notice informs of."""

import pytest

from capactif_demo.consent_examples import example_submission
from consent.submission import notice_hash
from hub.errors import InvalidNotice, NoticeConflict, NoticePurposesMismatch

NOTICE = {"texte": "Vos données servent à vous orienter.", "langue": "fr",
          "finalites": ["orientation", "accompagnement"]}


def test_a_registered_notice_gets_a_version_its_fingerprint_its_owner_and_terms(registry):
    notice, created = registry.register_notice(NOTICE, "pfil-est")
    assert created and 1 <= notice.version <= 2**31 - 1 and notice.member_id == "pfil-est"
    assert notice.sha256 == notice_hash(NOTICE["texte"])
    document = notice.as_document()
    assert document["finalites"] == ["accompagnement", "orientation"] and document["langue"] == "fr"


def test_the_same_text_with_the_same_terms_is_the_same_notice(registry):
    first, _ = registry.register_notice(NOTICE, "pfil-est")
    again, created = registry.register_notice(dict(NOTICE), "pfil-est")
    assert (again, created) == (first, False)


def test_the_same_text_as_another_member_s_is_a_notice_of_one_s_own(registry):
    """Answering the other member's notice told whether, and when, it registered the text."""
    theirs, _ = registry.register_notice(NOTICE, "pfil-est")
    mine, created = registry.register_notice(NOTICE | {"langue": "en"}, "cci-63")
    assert created and mine.member_id == "cci-63" and mine.version != theirs.version
    assert mine.sha256 == theirs.sha256


@pytest.mark.parametrize("change", [{"langue": "en"}, {"finalites": ["orientation"]}])
def test_the_same_text_with_other_terms_is_a_conflict(registry, change):
    registry.register_notice(NOTICE, "pfil-est")
    with pytest.raises(NoticeConflict):
        registry.register_notice(NOTICE | change, "pfil-est")


@pytest.mark.parametrize("submission", [
    {}, [], "texte", NOTICE | {"texte": "   "}, NOTICE | {"texte": "a\x00b"},
    NOTICE | {"langue": "français"}, NOTICE | {"finalites": []}, NOTICE | {"finalites": ["marketing"]},
    NOTICE | {"version": 3}, {k: v for k, v in NOTICE.items() if k != "langue"}])
def test_a_malformed_submission_is_refused_with_its_errors(registry, submission):
    with pytest.raises(InvalidNotice) as caught:
        registry.register_notice(submission, "pfil-est")
    assert caught.value.field_errors and caught.value.status == 400


def test_notices_are_listed_per_owner_by_version(registry):
    mine = sorted(registry.register_notice(NOTICE | {"texte": text}, "pfil-est")[0].version
                  for text in ("Premier", "Troisième"))
    registry.register_notice(NOTICE | {"texte": "Autre texte"}, "cci-63")
    assert [n.version for n in registry.notices_of("pfil-est", 0, 10)] == mine
    assert [n.version for n in registry.notices_of("pfil-est", mine[0], 10)] == mine[1:]
    assert registry.notices_of("pfil-est", 0, 1)[0].version == mine[0]


def test_a_consent_may_not_name_a_purpose_its_notice_does_not_inform_of(registry, clock):
    notice, _ = registry.register_notice(NOTICE | {"finalites": ["orientation"]}, "pfil-est")
    submission = example_submission(notice.version, notice.sha256, clock.now)
    with pytest.raises(NoticePurposesMismatch) as caught:
        registry.record(submission, "pfil-est")
    assert caught.value.field_errors[0]["path"] == "$.finalites"
    registry.record(submission | {"finalites": ["orientation"]}, "pfil-est")


def test_a_notice_stored_before_purposes_were_recorded_limits_none(registry, notice, submission):
    assert registry.record(submission(finalites=["statistiques", "financement"]), "pfil-est")
