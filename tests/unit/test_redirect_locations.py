"""A redirect's Location naming a scheme or a host keeps only its path, query and fragment,
with one leading slash; a relative Location is left as it is (it already points here)."""

from __future__ import annotations

import pytest

from hub.api.redirects import local_location


@pytest.mark.parametrize(("given", "kept"), [
    (b"http://attaquant.example/v1/feed", b"/v1/feed"),
    (b"https://attaquant.example/console/?a=1", b"/console/?a=1"),
    (b"http://attaquant.example//autre.example/x", b"/autre.example/x"),
    (b"/\\autre.example/x", b"/autre.example/x"),
    (b"/console/connexion", b"/console/connexion"),
    (b"/console/coordination/porteurs/prt_1?fait=a_voir#avis",
     b"/console/coordination/porteurs/prt_1?fait=a_voir#avis"),
    (b"http://attaquant.example/console/p?fait=vu#avis", b"/console/p?fait=vu#avis"),
    (b"parcours?fait=vu#avis", b"parcours?fait=vu#avis"),
    (b"../porteurs/prt_1#avis", b"../porteurs/prt_1#avis"),
    (b"#avis", b"#avis"),
    (b"//attaquant.example/x#avis", b"/x#avis"),
    # browsers drop leading spaces and controls, and tabs and line breaks anywhere
    (b"\t/\\autre.example/x", b"/autre.example/x"),
    (b" //autre.example/x", b"/x"),
    (b"/\t/autre.example/x", b"/x"),
    (b"\x01http://autre.example/x", b"/x"),
])
def test_a_location_points_into_this_server_keeping_fragment_and_relative_meaning(
        given: bytes, kept: bytes) -> None:
    assert local_location(given) == kept
