"""A number no double holds (1e400, read as infinity; 1e-400, not zero yet read as 0) is
refused naming its field, wherever it is written; every other body reads as orjson
reads it (the standard library reads again only bodies that may hold one)."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.api.bodies import checked_json, json_body
from hub.api.exact_numbers import read_exactly
from hub.errors import MalformedBody
from schemas.loader import out_of_range_path

_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
_TREES = st.recursive(_LEAVES, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=4), children, max_size=4)),
    max_leaves=30)


@given(_TREES)
def test_a_body_is_read_again_as_orjson_reads_it(tree):
    raw = orjson.dumps(tree)
    assert read_exactly(raw) == orjson.loads(raw)


@pytest.mark.parametrize("written", ["1e-400", "-1E-0400", "0." + "0" * 330 + "7",
                                     "1e400", "-1e+400", "9" * 400, "1" + "0" * 330 + ".5"])
def test_a_number_no_double_holds_is_refused_naming_its_field(written):
    raw = ('{"consentement": {"version": 1, "poids": [0.5, ' + written + ']}}').encode()
    assert out_of_range_path(checked_json(raw)) == "$.consentement.poids[1]"
    with pytest.raises(MalformedBody) as caught:
        json_body(raw)
    assert "$.consentement.poids[1]" in caught.value.message_en
    assert written[:12] not in caught.value.message_en + caught.value.message_fr


@pytest.mark.parametrize("written", ["0e-400", "-0.000e+999", "0." + "0" * 330, "1e-300",
                                     "1e300", "18446744073709551615", "1" + "0" * 300])
def test_zero_and_numbers_a_double_holds_are_read_as_orjson_reads_them(written):
    raw = ('{"a": [' + written + ', "Jean-Pierre e-123"]}').encode()
    assert json_body(raw) == orjson.loads(raw)


@pytest.mark.parametrize("after", ["NaN", '"\\ud800"', "[" * 5000 + "]" * 5000])
def test_a_body_orjson_refuses_for_another_reason_stays_refused(after):
    raw = ('{"a": [1e400, ' + after + ']}').encode()
    with pytest.raises(MalformedBody) as caught:
        checked_json(raw)
    assert "valid JSON" in caught.value.message_en or "too deep" in caught.value.message_en
