"""The rules of a recipient's webhook line (hub.domain.webhook_line): which answers say
the recipient is unwell (the line waits) and which say one document fails (after
`PROBE_AFTER` in a row, a probe; the line goes past the head once the probe is taken)."""

from __future__ import annotations

import functools

import pytest

from hub.domain.webhook_line import (
    PROBE_AFTER,
    PROBES,
    About,
    Answer,
    HeldBack,
    Step,
    after_failure,
    after_probe,
    answer_of,
    named_fiches,
    refused_after,
)


@pytest.mark.parametrize(
    "status, asked, answer",
    [
        (200, False, Answer.ACCEPTED),
        (204, False, Answer.ACCEPTED),
        (400, False, Answer.REFUSED),
        (410, False, Answer.REFUSED),
        (408, False, Answer.UNWELL),
        (425, False, Answer.UNWELL),
        (429, False, Answer.UNWELL),
        (502, False, Answer.UNWELL),
        (503, False, Answer.UNWELL),
        (504, False, Answer.UNWELL),
        (0, False, Answer.UNWELL),  # no answer: a network error, a timeout, a cut-off
        (302, False, Answer.UNWELL),
        (307, False, Answer.UNWELL),
        (500, False, Answer.DOCUMENT),
        (501, False, Answer.DOCUMENT),
        (505, False, Answer.DOCUMENT),
        (599, False, Answer.DOCUMENT),
        (500, True, Answer.UNWELL),  # a Retry-After asks the line to wait, whatever the status
    ],
)
def test_what_an_answer_says(status, asked, answer):
    assert answer_of(status, asked) is answer


def _step(statuses: list[int], probe: int | None = None) -> Step:
    """The step after the head's answers (oldest first) and, if one went, a probe's."""
    refused = functools.reduce(lambda count, status: refused_after(count, answer_of(status)), statuses, 0)
    step = after_failure(refused)
    if step is Step.PROBE and probe is not None:
        return after_probe(answer_of(probe))
    return step


@pytest.mark.parametrize(
    "statuses, probe, step",
    [
        ([500], None, Step.WAIT),
        ([500, 500], None, Step.WAIT),
        ([500, 500, 500], None, Step.PROBE),
        ([500, 500, 500], 200, Step.GO_PAST),
        ([500, 500, 500], 500, Step.PROBE),  # another poison, or a deploy gone wrong: the next
        ([500, 500, 500], 503, Step.WAIT),
        ([500, 500, 500], 0, Step.WAIT),
        ([500, 500, 500], 410, Step.WAIT),  # the probe refused for good: no word on the head
        ([503, 503, 503, 503, 503], 200, Step.WAIT),  # unwell: never a probe
        ([500, 500, 503], 200, Step.WAIT),
        ([500, 503, 500, 500], None, Step.WAIT),  # not in a row: a flaky recipient
        ([503, 500, 500, 500], 200, Step.GO_PAST),
        ([500, 0, 500, 502, 500], None, Step.WAIT),  # an outage between refusals
        ([500, 501, 505], 204, Step.GO_PAST),
    ],
)
def test_the_line_goes_past_a_head_only_once_refused_in_a_row_and_a_probe_taken(statuses, probe, step):
    assert _step(statuses, probe) is step


def test_a_probe_refused_as_a_document_is_followed_by_the_next_up_to_probes():
    """Poisons side by side: a probe refused with a 500 is followed by another, up to
    `PROBES` after one try of the head; any other failure stops the probing."""
    refused = answer_of(500)
    steps = [after_probe(refused, n) for n in range(1, PROBES + 2)]
    assert steps == [Step.PROBE] * (PROBES - 1) + [Step.WAIT] * 2
    assert [after_probe(answer_of(200), n) for n in range(1, PROBES + 1)] == [Step.GO_PAST] * PROBES
    for status in (503, 0, 410, 429):
        assert after_probe(answer_of(status), 1) is Step.WAIT


def test_no_probe_before_probe_after_refusals_in_a_row():
    assert [after_failure(n) for n in range(PROBE_AFTER + 2)] == [Step.WAIT] * PROBE_AFTER + [Step.PROBE] * 2
    assert after_probe(None) is Step.WAIT  # nothing else in line to probe with


def _data(fiche_id: str, pk: int, porteur: str) -> About:
    return About(frozenset({("M", fiche_id)}), pk, frozenset({porteur}))


def _notice(*fiche_ids: str, porteur: str | None = None) -> About:
    return About(
        frozenset(("M", f) for f in fiche_ids), None, frozenset({porteur} if porteur else ()), notice=True
    )


def test_a_data_head_passed_holds_back_its_fiche_and_the_notices_of_its_porteur():
    held = HeldBack()
    held.hold_behind(_data("F-7", 7, "P-1"))
    assert held.holds(_data("F-7", 7, "P-1"))  # a later version of the fiche
    assert held.holds(_notice(porteur="P-1"))  # a notice about its porteur
    assert held.holds(_notice("F-8", porteur="P-1"))
    assert held.holds(_notice("F-7"))  # a notice naming it
    assert not held.holds(_data("F-8", 8, "P-1"))  # another fiche of the porteur
    assert not held.holds(_data("F-9", 9, "P-2"))
    assert not held.holds(_notice("F-9", porteur="P-2"))


def test_a_notice_passed_holds_back_everything_about_its_porteur():
    held = HeldBack()
    held.hold_behind(_notice(porteur="P-1"))
    assert held.holds(_data("F-8", 8, "P-1"))
    assert held.holds(_notice(porteur="P-1"))
    assert not held.holds(_data("F-9", 9, "P-2"))
    assert not held.holds(_notice())


def test_a_batch_notice_passed_holds_back_every_fiche_it_names_under_any_pk():
    """A fiche id withdrawn and pushed again is another fiche for the hub (another pk,
    maybe another porteur), the same for the recipient: its new data waits."""
    held = HeldBack()
    held.hold_behind(_notice("F-2", "F-3"))  # a batch: no porteur, several fiches
    assert held.holds(_data("F-2", 12, "P-9"))
    assert held.holds(_data("F-3", 13, "P-3"))
    assert held.holds(_notice("F-3"))
    assert not held.holds(_data("F-4", 4, "P-4"))
    assert not held.holds(About(frozenset({("other-member", "F-2")}), 14, frozenset({"P-5"})))


def test_a_document_names_its_fiche_or_each_fiche_of_a_notice_and_none_of_a_porteur():
    """What a replay compares with the later data a recipient got (a notice overtaken)
    and what the line holds back by: the fiches as recipients know them."""
    data = {"source": {"membre": "m", "fiche_id": "F-1", "version": 2}}
    batch = {"sources": [{"membre": "m", "fiche_id": "F-1"}, {"membre": "m", "fiche_id": "F-2"}]}
    assert named_fiches(data) == {("m", "F-1")}
    assert named_fiches(batch) == {("m", "F-1"), ("m", "F-2")}
    assert named_fiches({"porteur_id": "prt_x", "sources": [{"porteur_id": "prt_x"}]}) == frozenset()
