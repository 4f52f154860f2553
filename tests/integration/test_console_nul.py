"""NUL in a console form (a meeting note, a parrain's name, any field): refused with the
control-character rule, naming the field and never echoing the text, and nothing is
recorded. Both stores."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.services.console import meeting_actions
from tests.console_world import build_world, console_hub
from tests.factories import Clock
from tests.integration.test_console import csrf_of, sign_in

pytestmark = pytest.mark.integration
MARK = "Repere7f3a"


@pytest.fixture
def world(db_url, tmp_path):
    hub = console_hub(db_url, tmp_path, Clock())
    built = build_world(hub, tmp_path)
    with TestClient(create_app(hub=hub), base_url="http://127.0.0.1") as client:
        sign_in(client, "coord")
        yield {"hub": hub, "client": client, **built}
    hub.close()


def _decide(world, form: dict[str, str]) -> tuple[object, int]:
    """The answer to the decision form, and how many actions it recorded."""
    porteur = world["porteurs"]["F-ORPHELIN"]
    page = world["client"].get(f"/console/coordination/porteurs/{porteur}").text
    before = len(meeting_actions.actions_of(world["hub"], porteur))
    answer = world["client"].post(f"/console/coordination/porteurs/{porteur}/decisions",
                                  data={"csrf": csrf_of(page), **form}, follow_redirects=False)
    return answer, len(meeting_actions.actions_of(world["hub"], porteur)) - before


def _refused_naming(answer, field: str) -> None:
    assert answer.status_code == 400, answer.text[:300]
    text = html.unescape(answer.text)
    assert f"Champ « {field} »" in text and "Caractère de contrôle (U+0000" in text
    assert MARK not in text


DECISIONS = [("a_voir", {}), ("parrain", {"parrain": "Jean Dupont"}),
             ("referent", {"membre": "chambre-agriculture-63", "proposition_vue": "0"})]


@pytest.mark.parametrize(("what", "extra"), DECISIONS)
def test_a_meeting_note_holding_nul_is_refused_and_nothing_recorded(world, what, extra):
    answer, recorded = _decide(world, {"quoi": what, "note": f"{MARK} note\x00suite", **extra})
    _refused_naming(answer, "note")
    assert recorded == 0


def test_a_parrain_name_holding_nul_is_refused_and_nothing_recorded(world):
    answer, recorded = _decide(world, {"quoi": "parrain", "parrain": f"Jean\x00{MARK}",
                                       "note": ""})
    _refused_naming(answer, "parrain")
    assert recorded == 0


@pytest.mark.parametrize(("what", "extra"), DECISIONS)
def test_the_same_decision_without_nul_is_recorded(world, what, extra):
    answer, recorded = _decide(world, {"quoi": what, "note": f"{MARK} note suite", **extra})
    assert answer.status_code == 303, answer.text[:300]
    assert recorded == 1
