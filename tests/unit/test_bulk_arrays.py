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


def test_the_rows_document_holds_every_row_by_name_with_bytes_in_bytea_text():
    """Rows of the same keys go to orjson whole (their binary columns copied in bytea's
    text form); rows of other shapes are rebuilt by the first row's names, as before."""
    import datetime as dt

    import orjson

    from hub.store import bulk
    from hub.store.audit_tables import audit_heads
    from hub.store.tables import members

    at = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
    heads = [{"tree_size": 1, "root_hash": b"\x00\xff", "signature": None, "key_id": "k"},
             {"key_id": "k", "signature": b"'\\", "root_hash": b"", "tree_size": 2}]
    names = list(heads[0])
    assert orjson.loads(bulk._document(audit_heads, heads, names)) == [
        {"tree_size": 1, "root_hash": "\\x00ff", "signature": None, "key_id": "k"},
        {"tree_size": 2, "root_hash": "\\x", "signature": "\\x275c", "key_id": "k"}]
    assert heads[0]["root_hash"] == b"\x00\xff"  # the caller's rows are left as they were
    plain = [{"id": "m1", "territory": ["63001", {"epci": 1}], "created_at": at},
             {"created_at": at, "territory": None, "id": "m2"}]
    assert orjson.loads(bulk._document(members, plain, list(plain[0]))) == [
        {"id": "m1", "territory": ["63001", {"epci": 1}], "created_at": at.isoformat()},
        {"id": "m2", "territory": None, "created_at": at.isoformat()}]
    wider = [{"id": "m1", "territory": None}, {"id": "m2", "territory": None, "extra": 1}]
    assert orjson.loads(bulk._document(members, wider, ["id", "territory"])) == [
        {"id": "m1", "territory": None}, {"id": "m2", "territory": None}]
