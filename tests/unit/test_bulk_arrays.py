"""`bulk.text_array`: the text form of a PostgreSQL array parameter, or the list itself
when an item is neither a plain int nor a string that needs no escaping."""

from hub.store.bulk import text_array


def test_ints_and_plain_strings_travel_as_array_text():
    assert text_array([3, -1, 0]) == "{3,-1,0}"
    assert text_array(iter(["a", "b c"])) == '{"a","b c"}'
    assert text_array([]) == "{}"


def test_items_needing_the_driver_stay_a_list():
    assert text_array([True, 1]) == [True, 1]  # a bool is no int here: "True" is no number
    assert text_array([1, "a"]) == [1, "a"]
    assert text_array(['a"b']) == ['a"b']
    assert text_array(["a\\b"]) == ["a\\b"]
    assert text_array([1.5]) == [1.5]
