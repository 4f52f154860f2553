"""A field's weight reads the same in the API's explanation lines and in the console's
side-by-side table and waterfall, at every level of every comparison of the shipped model:
one rule (`hub.domain.matching.model.weight_fr`), "0 (ne compte pas)" for a field that adds
nothing."""

from pathlib import Path

import pytest

from hub.domain.matching.comparisons import MISSING
from hub.domain.matching.model import (
    Explanation,
    FieldTerm,
    default_model,
    points_fr,
    weight_fr,
)
from hub.services.console.duplicates_console import FIELD_LABELS, ROWS, _row, waterfall
from hub.web.pages import environment

_MODEL = default_model()
_LEVELS = [(field, level) for field, levels in _MODEL.m.items()
           for level in (*levels, MISSING)]
_PATHS = {field: path for _label, path, field in ROWS if field}


def _explained(field: str, level: str, weight: float) -> Explanation:
    term = FieldTerm(field, level, weight, sides=(True, level != MISSING))
    prior = _MODEL.prior_weight
    return Explanation(prior, (term,), prior + weight, 0.5)


def _console(explanation: Explanation) -> tuple[str, str | None]:
    """The weight as the waterfall and the side-by-side row print it (the `poids` filter)."""
    shown = environment().filters["poids"]
    term = explanation.to_dict()["champs"][0]
    step = waterfall(explanation.to_dict())["etapes"][0]
    path = _PATHS.get(term["champ"])
    if path is None:  # a field the table shows on other rows (the place)
        return shown(step["poids"]), None
    section, name = path.split(".", 1)
    sides = [{section: {name: "une valeur"}}, {section: {name: "une autre" if term["niveau"] !=
                                                       MISSING else ""}}]
    row = _row(FIELD_LABELS.get(term["champ"], term["champ"]), path, term, *sides)
    return shown(step["poids"]), shown(row["poids"])


@pytest.mark.parametrize(("field", "level"), _LEVELS)
def test_a_weight_reads_the_same_in_the_api_lines_and_in_the_console(field, level):
    explanation = _explained(field, level, _MODEL.level_weight(field, level))
    line = explanation.lines_fr()[1]
    in_waterfall, in_row = _console(explanation)
    assert line == f"{field} : {explanation.terms[0].label_fr()}, {in_waterfall}"
    assert in_row in (None, in_waterfall)
    if level == MISSING:
        assert in_waterfall == "0 (ne compte pas)"


def test_a_level_weighed_zero_says_it_does_not_count_in_both():
    """A numbered e-mail's weight capped at 0 is not « +0,0 » in the API."""
    explanation = _explained("courriel", "fuzzy", 0.0)
    assert explanation.lines_fr()[1] == (
        "courriel : même nom, numéroté d'un seul côté, 0 (ne compte pas)")
    assert _console(explanation) == ("0 (ne compte pas)", "0 (ne compte pas)")


def test_signed_points_have_a_french_comma_and_a_true_minus_in_both():
    explanation = _explained("nom", "different", -5.56)
    assert explanation.lines_fr()[0].startswith("a priori : −")
    assert explanation.lines_fr()[1].endswith(", −5,6")
    assert _console(explanation) == ("−5,6", "−5,6")
    assert weight_fr(-1.5) == "−1,5" and weight_fr(2.5) == "+2,5"


def test_a_weight_kept_at_zero_reads_the_same_live_and_kept():
    """An explanation keeps three decimals: 0.0004 is kept as 0, so it does not count
    either way, live or read back; a weight under half a point is never « −0,0 »."""
    live = _explained("courriel", "fuzzy", 0.0004)
    kept = Explanation.from_dict(live.to_dict())
    assert live.lines_fr()[1] == kept.lines_fr()[1]
    assert weight_fr(0.0004) == weight_fr(-0.0004) == "0 (ne compte pas)"
    assert weight_fr(-0.04) == weight_fr(0.04) == "+0,0"
    assert points_fr(-0.04) == points_fr(-0.0) == "+0,0"
    assert points_fr(-0.06) == "−0,1"


def test_the_page_spells_no_weight_of_its_own():
    page = Path(environment().loader.searchpath[0], "doublon.html").read_text("utf-8")
    assert "ne compte pas" not in page


def test_a_weight_reads_the_same_from_the_score_and_from_the_kept_explanation():
    """The API writes its lines from the explanation kept with the review item (weights to
    three decimals); a score's own weight a hair below a rounding step reads the same."""
    explanation = _explained("nom", "different", -5.6499996)
    kept = Explanation.from_dict(explanation.to_dict())
    assert explanation.lines_fr() == kept.lines_fr()
    assert _console(explanation)[0] == weight_fr(-5.6499996) == "−5,7"
