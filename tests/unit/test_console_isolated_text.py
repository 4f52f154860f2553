"""Texts from fiches are shown in their own bidirectional run, format characters as code points."""

from hub.web.pages import isolated


def test_a_right_to_left_override_in_a_name_is_shown_as_its_code_point_inside_an_isolate():
    shown = str(isolated("Dupont\u202etnemevuorP"))
    assert shown == '<bdi>Dupont<span class="point-de-code">U+202E</span>tnemevuorP</bdi>'
    assert "\u202e" not in shown


def test_an_ordinary_name_is_isolated_and_escaped():
    assert str(isolated("Zoë <b>")) == "<bdi>Zoë &lt;b&gt;</bdi>"



def test_lists_of_fiche_texts_are_isolated_item_by_item_and_escaped():
    """Project titles and the names of a duplicate pair are shown joined: each in its own
    isolate, a format character as its code point, the rest escaped."""
    from hub.web.pages import environment

    shown = environment().from_string('{{ xs | map("isole") | join(", ") }}').render(
        xs=["Ferme\u202e", "<b>"])
    assert shown == ('<bdi>Ferme<span class="point-de-code">U+202E</span></bdi>, '
                     "<bdi>&lt;b&gt;</bdi>")


def test_every_template_showing_project_titles_or_pair_names_isolates_them():
    from pathlib import Path

    import hub.web

    templates = Path(hub.web.__file__).parent / "templates"
    for name, shown in [("_porteur_row.html", "p.projects"), ("parcours.html", "person.projects"),
                        ("doublons.html", "r.noms"), ("fusions.html", "e.autre_porteur_nom")]:
        lines = [line for line in (templates / name).read_text().splitlines()
                 if "{{ " + shown in line]
        assert lines and all("isole" in line for line in lines), (name, shown)
