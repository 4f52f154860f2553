"""The « identité seule » flag says which fields agree, as the pair's explanation has them:
a pair whose birth date is absent on one side does not read « nom, prénom et date de
naissance concordent » (the API's line, the console's reason and its warning alike)."""

from __future__ import annotations

import dataclasses

import pytest

from hub.domain.matching import default_model, normalise_record
from hub.domain.matching.model import IDENTITY_ONLY_KEY
from hub.services.console import duplicates_console

JEAN = {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01",
        "code_postal": "63600", "commune": "Ambert"}
CASES = [
    ({}, "nom, prénom et date de naissance", "le nom, le prénom et la date de naissance"),
    ({"date_naissance": None}, "nom et prénom", "le nom et le prénom"),
    ({"prenom": None}, "nom et date de naissance", "le nom et la date de naissance"),
]


def _flagged(other: dict[str, str | None]) -> dict:
    """The pair JEAN / JEAN with `other`'s fields changed, flagged identity alone."""
    model = default_model()
    second = {k: v for k, v in {**JEAN, **other}.items() if v is not None}
    explanation = model.score(normalise_record(second, "b"), normalise_record(JEAN, "a"))
    return dataclasses.replace(explanation, identity_only=True).to_dict()


@pytest.mark.parametrize(("other", "words", "articled"), CASES)
def test_the_identity_alone_line_names_only_the_fields_that_agree(other, words, articled):
    from hub.domain.matching.model import Explanation

    document = _flagged(other)
    [line] = [line for line in Explanation.from_dict(document).lines_fr()
              if line.startswith("identité seule")]
    verb = "concordent" if " et " in words else "concorde"
    assert line.startswith(f"identité seule : {words} {verb}, mais ni la rue"), line
    assert duplicates_console.waiting_reason(document).startswith(f"Identité seule : {words} {verb}, mais ni")
    [warning] = duplicates_console.flag_warnings(document)
    assert warning["code"] == IDENTITY_ONLY_KEY
    assert f"{articled} {verb} (la commune" in warning["verifier"], warning["verifier"]
    for absent in {"nom", "prénom", "date de naissance"} - set(words.replace(" et ", ", ").split(", ")):
        assert absent not in line.split(" concord")[0]
        assert absent not in warning["verifier"].split(" concord")[0]


def test_one_field_alone_reads_in_the_singular():
    from hub.domain.matching.model import agreeing_identity_fr

    assert agreeing_identity_fr({"nom": "exact", "prenom": "missing"}) == "nom concorde"
    assert agreeing_identity_fr({"date_naissance": "exact"}, articles=True) \
        == "seule la date de naissance concorde"
    assert agreeing_identity_fr({"prenom": "close", "nom": "fuzzy"}, articles=True) \
        == "seul le prénom concorde"
