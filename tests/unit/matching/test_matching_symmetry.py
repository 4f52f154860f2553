"""A pair reads the same whichever side comes first: names written in either order,
initials, compound and exchanged names (online and batch may meet a pair either way)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.matching.comparisons import build_comparisons, compare_records
from hub.domain.matching.model import default_model
from hub.domain.matching.settings import default_settings
from tests.unit.matching.matching_factories import person

_NAMES = ["Rousseau", "ROUSSEAU", "Rouseau", "Marie-Françoise", "MARIE-FRANÇOISE", "M.F.",
          "MF", "M.", "Marie", "Mmrie", "Marie-Nath", "Jean", "J.L.", "J.-L.", "Jean-Luc",
          "Louis", "Louise", "Martin", "Dupont-Martin", "Nath", "de la Fontaine", "Luc", ""]
_DATES = ["1980-05-12", "1980-12-05", ""]

_records = st.builds(
    lambda nom, naissance, prenom, date: person(nom=nom, nom_naissance=naissance,
                                                prenom=prenom, date_naissance=date),
    st.sampled_from(_NAMES), st.sampled_from(["", "Martin", "Rousseau"]),
    st.sampled_from(_NAMES), st.sampled_from(_DATES),
)
_COMPARISONS = build_comparisons(default_settings().comparisons)


@settings(max_examples=600, deadline=None)
@given(_records, _records)
def test_a_pair_reads_the_same_whichever_side_comes_first(a, b):
    assert compare_records(_COMPARISONS, a, b)[0] == compare_records(_COMPARISONS, b, a)[0]
    model = default_model()
    one, other = model.score(a, b), model.score(b, a)
    assert [(t.field, t.level, t.weight) for t in one.terms] == [
        (t.field, t.level, t.weight) for t in other.terms]
    assert one.total_weight == other.total_weight


def test_names_exchanged_on_either_side_meet_initials_alike():
    """MARIE-FRANCOISE ROUSSEAU (names exchanged) against Rousseau M.F."""
    exchanged = person(nom="MARIE-FRANÇOISE", prenom="ROUSSEAU", date_naissance="1980-05-12")
    initials = person(nom="Rousseau", prenom="M.F.", date_naissance="1980-05-12")
    fields = [c.field for c in _COMPARISONS]
    levels = dict(zip(fields, compare_records(_COMPARISONS, exchanged, initials)[0], strict=True))
    assert (levels["nom"], levels["prenom"]) == ("close", "close")
    assert compare_records(_COMPARISONS, initials, exchanged)[0] == tuple(levels.values())
