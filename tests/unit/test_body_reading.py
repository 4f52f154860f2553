"""Bodies are read the same way however fast the reading: the depth walked level by level
is the nesting of arrays and objects, and a name given twice is found, at the same path,
whether the body is the compact JSON the hub's connectors send (whose search is spared
when nothing can be twice) or any other writing of it."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.api.bodies import MAX_DEPTH, _depth, json_body
from hub.errors import MalformedBody
from schemas.loader import duplicate_key_path

_NAMES = st.sampled_from(["a", "b", "fiches", "nom", "é", "x y", "a\\"])
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
# An object is a list of (name, value) pairs, so that a name may come twice.
_PAIRS_TREES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.builds(lambda pairs: _Object(pairs), st.lists(st.tuples(_NAMES, children), max_size=4))),
    max_leaves=30)


class _Object(list):  # type: ignore[type-arg]
    """An object's pairs, in order, a name possibly twice."""


def _written(node: Any, *, compact: bool) -> str:
    comma, colon = (",", ":") if compact else (", ", ": ")
    if isinstance(node, _Object):
        return "{" + comma.join(_text(name) + colon + _written(value, compact=compact)
                                for name, value in node) + "}"
    if isinstance(node, list):
        return "[" + comma.join(_written(item, compact=compact) for item in node) + "]"
    return orjson.dumps(node).decode() if compact else json.dumps(node)


def _text(name: str) -> str:
    return orjson.dumps(name).decode()


def _reference_depth(node: Any) -> int:
    """The nesting of arrays and objects, by its definition."""
    children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else None
    if children is None:
        return 0
    return 1 + max((_reference_depth(child) for child in children), default=0)


def _verdict(raw: bytes) -> str | None:
    """None when the body is read, else the refusal's English message (a NUL character
    left to the caller, as a batch of fiches answers it per item)."""
    try:
        json_body(raw, refuse_nul=False)
    except MalformedBody as exc:
        return exc.message_en
    return None


@settings(max_examples=400, deadline=None)
@given(_PAIRS_TREES, st.booleans())
def test_a_name_given_twice_is_found_at_its_path_however_the_body_is_written(tree, compact):
    raw = _written(tree, compact=compact).encode()
    twice = duplicate_key_path(raw)
    verdict = _verdict(raw)
    if twice is None:
        assert verdict is None
    else:
        assert verdict is not None and f"Name given twice in one object, at {twice}:" in verdict


@settings(max_examples=400, deadline=None)
@given(_PAIRS_TREES)
def test_the_depth_is_the_nesting_of_arrays_and_objects(tree):
    document = orjson.loads(_written(tree, compact=True))
    assert _depth(document) == _reference_depth(document)


@pytest.mark.parametrize("depth", [1, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 500, 1023])
def test_the_depth_is_read_up_to_one_level_past_the_limit(depth):
    document = orjson.loads(b"[" * depth + b"1" + b"]" * depth)
    assert _depth(document) == min(depth, MAX_DEPTH + 1)
    assert (_verdict(b'{"fiches":' + b"[" * (depth - 1) + b"1" + b"]" * (depth - 1) + b"}")
            is None) == (depth <= MAX_DEPTH)


def test_a_compact_body_naming_something_twice_is_refused_at_its_path():
    assert "at $.fiches[1].?:" in _verdict(b'{"fiches":[{"a":1},{"x y":1,"x y":1}]}')
    assert "at $.a:" in _verdict(b'{"a":{"b":1},"a":{"b":1}}')
    assert _verdict(b'{"fiches":[{"a":1,"b":[1,{"a":2}]}]}') is None
