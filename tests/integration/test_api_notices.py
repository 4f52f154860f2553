"""`/v1/notices` and `capactif notices`, on both databases: a member registers the notice
it shows porteurs, then records a consent citing it; who reads which notice."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from capactif_demo.consent_examples import example_submission
from consent.submission import notice_hash
from tests.integration.contract_world import NETWORK, OWNER, RECIPIENT, network_document

pytestmark = pytest.mark.integration

NOTICE = {"texte": "Vos données servent à vous orienter vers les membres du réseau.",
          "langue": "fr", "finalites": ["orientation", "accompagnement"]}


def consent_citing(notice: dict, **changes) -> dict:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return example_submission(notice["version"], notice["empreinte"], now, membre=OWNER,
                              reference="CST-F-1", fiche_id="F-1", **changes)


def test_a_member_registers_a_notice_then_records_the_first_consent_citing_it(contract):
    before = contract.call(OWNER, "POST", "/v1/consents",
                           body=consent_citing({"version": 1, "empreinte": "0" * 64}))
    assert before.json()["error"]["code"] == "unknown_notice"
    created = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE)
    assert created.status_code == 201, created.text
    notice = created.json()
    assert notice["empreinte"] == notice_hash(NOTICE["texte"]) and notice["membre"] == OWNER
    assert notice["version"] >= 1 and notice["finalites"] == ["accompagnement", "orientation"]
    consent = contract.call(OWNER, "POST", "/v1/consents", body=consent_citing(notice))
    assert consent.status_code == 201, consent.text


def test_registering_the_same_notice_again_answers_it_with_200(contract):
    first = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE).json()
    again = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE)
    assert (again.status_code, again.json()) == (200, first)
    other = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE | {"langue": "en"})
    assert (other.status_code, other.json()["error"]["code"]) == (409, "notice_conflict")


def test_a_consent_naming_a_purpose_the_notice_does_not_announce_is_a_400(contract):
    notice = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE).json()
    answer = contract.call(OWNER, "POST", "/v1/consents",
                           body=consent_citing(notice, finalites=["orientation", "financement"]))
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "notice_purposes_mismatch")


@pytest.mark.parametrize(("body", "code"), [
    ({"texte": "x"}, "invalid_notice"), (NOTICE | {"finalites": ["vente"]}, "invalid_notice"),
    ([NOTICE], "invalid_notice"), (NOTICE | {"texte": "   "}, "invalid_notice"),
    (NOTICE | {"texte": "a\u0000b"}, "malformed_body")])
def test_a_malformed_notice_is_a_400_and_nothing_is_stored(contract, body, code):
    answer = contract.call(OWNER, "POST", "/v1/notices", body=body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, code)
    assert answer.json()["error"].get("erreurs") or code == "malformed_body"
    assert contract.call(OWNER, "GET", "/v1/notices").json()["notices"] == []


def test_the_list_shows_the_callers_own_notices_and_any_member_reads_one_by_version(contract):
    mine = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE).json()
    theirs = contract.call(RECIPIENT, "POST", "/v1/notices", body=NOTICE | {"texte": "Autre."}).json()
    listed = contract.call(OWNER, "GET", "/v1/notices").json()
    assert [n["version"] for n in listed["notices"]] == [mine["version"]]
    assert listed["has_more"] is False
    read = contract.call(OWNER, "GET", f"/v1/notices/{theirs['version']}")
    hidden = {"membre", "enregistree_le"}  # the registering member's (test_side_channels)
    assert (read.status_code, read.json()) == (200, {k: v for k, v in theirs.items()
                                                      if k not in hidden})
    page = contract.call(RECIPIENT, "GET", f"/v1/notices?after={theirs['version']}").json()
    assert page["notices"] == []


def test_an_unknown_version_is_a_404_and_dpo_credentials_get_403(contract):
    notice = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE).json()
    missing = contract.call(OWNER, "GET", "/v1/notices/999999")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "notice_not_found")
    for name in (f"{NETWORK}.dpo", f"{RECIPIENT}.dpo"):
        assert contract.call(name, "GET", f"/v1/notices/{notice['version']}").status_code == 403
        assert contract.call(name, "POST", "/v1/notices", body=NOTICE).status_code == 403


def test_an_operator_registers_lists_and_reads_notices_from_the_command_line(db_url, tmp_path):
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DATABASE_URL": db_url}

    def capactif(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    (tmp_path / "network.json").write_text(json.dumps(network_document()))
    assert capactif("members", "load", str(tmp_path / "network.json")).returncode == 0
    text = tmp_path / "notice-fr.txt"
    text.write_text("Notice de la commune : vos données servent à vous orienter.\n", encoding="utf-8")
    added = capactif("notices", "add", str(text), "--membre", OWNER, "--finalite", "orientation")
    assert added.returncode == 0, added.stderr
    summary = json.loads(added.stdout)
    assert summary["membre"] == OWNER and summary["finalites"] == ["orientation"]
    assert summary["empreinte"] == notice_hash(text.read_text(encoding="utf-8"))
    listed = capactif("notices", "list", "--membre", OWNER)
    assert [json.loads(line)["version"] for line in listed.stdout.splitlines()] == [summary["version"]]
    shown = json.loads(capactif("notices", "show", str(summary["version"])).stdout)
    assert shown["texte"] == text.read_text(encoding="utf-8")
    unknown = capactif("notices", "add", str(text), "--membre", "nobody-here")
    assert unknown.returncode == 1 and "not_found" in unknown.stderr


@pytest.mark.parametrize("target", ["/v1/notices?after=2147483648", "/v1/notices/2147483648",
                                    "/v1/notices?limit=501", "/v1/notices/0"])
def test_versions_beyond_the_32_bit_column_or_bounds_are_a_422(contract, target):
    answer = contract.call(OWNER, "GET", target)
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "invalid_parameter")


def test_a_notice_version_does_not_count_the_notices_other_members_registered(contract):
    """Versions were one network-wide counter: a member registering a notice, then
    another later, learnt from the difference how many notices others had registered."""
    first = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE).json()["version"]
    for n in range(3):
        others = NOTICE | {"texte": f"Notice du réseau n° {n}."}
        assert contract.call(RECIPIENT, "POST", "/v1/notices", body=others).status_code == 201
    second = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE | {"texte": "Autre."}).json()
    assert second["version"] - first not in range(1, 5)
    assert first not in range(1, 5)  # nor does the first count the notices before it
    listed = contract.call(OWNER, "GET", "/v1/notices").json()["notices"]
    assert sorted(n["version"] for n in listed) == sorted([first, second["version"]])
    assert contract.call(RECIPIENT, "GET", f"/v1/notices/{second['version']}").json()["texte"] == "Autre."


def test_has_more_is_false_on_a_page_that_holds_the_last_notice(contract):
    """A page exactly `limit` long said `has_more: true` and the next call came back empty."""
    contract.call(OWNER, "POST", "/v1/notices", body=NOTICE)
    contract.call(OWNER, "POST", "/v1/notices", body=NOTICE | {"texte": "Deuxième."})
    exact = contract.call(OWNER, "GET", "/v1/notices?limit=2").json()
    assert len(exact["notices"]) == 2 and exact["has_more"] is False
    short = contract.call(OWNER, "GET", "/v1/notices?limit=1").json()
    assert len(short["notices"]) == 1 and short["has_more"] is True
