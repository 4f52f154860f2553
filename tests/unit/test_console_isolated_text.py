"""Texts from fiches are shown in their own bidirectional run, format characters as code points."""

from hub.web.pages import isolated


def test_a_right_to_left_override_in_a_name_is_shown_as_its_code_point_inside_an_isolate():
    shown = str(isolated("Dupont\u202etnemevuorP"))
    assert shown == '<bdi>Dupont<span class="point-de-code">U+202E</span>tnemevuorP</bdi>'
    assert "\u202e" not in shown


def test_an_ordinary_name_is_isolated_and_escaped():
    assert str(isolated("Zoë <b>")) == "<bdi>Zoë &lt;b&gt;</bdi>"

