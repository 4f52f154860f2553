"""A redirect's Location keeps only the path and query, with one leading slash."""

from __future__ import annotations

import pytest

from hub.api.redirects import local_location


@pytest.mark.parametrize(("given", "kept"), [
    (b"http://attaquant.example/v1/feed", b"/v1/feed"),
    (b"https://attaquant.example/console/?a=1", b"/console/?a=1"),
    (b"http://attaquant.example//autre.example/x", b"/autre.example/x"),
    (b"/\\autre.example/x", b"/autre.example/x"),
    (b"/console/connexion", b"/console/connexion"),
])
def test_a_location_is_an_absolute_path_on_this_server(given: bytes, kept: bytes) -> None:
    assert local_location(given) == kept
