"""A birth date out of the accepted ages and an e-mail address with an accent are refused
with their own reason (what, where, how to fix), never as a bare format error, and never
quoting the value."""

import datetime as dt
import json

import pytest

from tests.factories import make_fiche, record_consents

pytestmark = pytest.mark.integration


def _refused(client, creds, field, value):
    fiche = make_fiche(fiche_id="F-1")
    fiche["porteur"][field] = value
    record_consents(client.app.state.hub, [fiche])
    body = json.dumps({"fiches": [fiche]}).encode()
    response = client.post("/v1/fiches", content=body,
                           headers=creds.headers("POST", "/v1/fiches", body))
    assert response.status_code == 202
    result = response.json()["results"][0]
    assert result["status"] == "rejected"
    [error] = result["errors"]
    assert error["path"] == f"$.porteur.{field}" and error["code"] == "format"
    assert value not in json.dumps(error, ensure_ascii=False)
    return error


@pytest.mark.parametrize(("born", "side"), [("2030-01-01", "postérieure"),
                                             ("1900-01-01", "antérieure")])
def test_a_birth_date_out_of_the_ages_names_the_accepted_range(client, credentials, born,
                                                                side):
    error = _refused(client, credentials["cci-puy-de-dome"], "date_naissance", born)
    today = dt.date.today()
    latest = _years_before(today, 14)
    earliest = _years_before(today, 111) + dt.timedelta(days=1)
    assert "de 14 à 110 ans" in error["message_fr"] and side in error["message_fr"]
    assert earliest.strftime("%d/%m/%Y") in error["message_fr"]
    assert latest.strftime("%d/%m/%Y") in error["message_fr"]
    assert "14 to 110 years old" in error["message_en"]
    assert f"from {earliest.isoformat()} to {latest.isoformat()}" in error["message_en"]
    assert "format" not in error["message_fr"] + error["message_en"]


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def test_a_birth_date_that_is_no_date_asks_for_yyyy_mm_dd(client, credentials):
    error = _refused(client, credentials["cci-puy-de-dome"], "date_naissance", "1985-02-30")
    assert "AAAA-MM-JJ" in error["message_fr"] and "YYYY-MM-DD" in error["message_en"]


def test_an_email_address_with_an_accent_before_the_at_says_accents_are_not_accepted(
        client, credentials):
    error = _refused(client, credentials["cci-puy-de-dome"], "courriel", "amélie@exemple.fr")
    assert "avant « @ »" in error["message_fr"] and "accentuée" in error["message_fr"]
    assert "before '@'" in error["message_en"] and "accented" in error["message_en"]


def test_an_email_address_with_an_accented_domain_asks_for_its_ascii_form(client,
                                                                          credentials):
    error = _refused(client, credentials["cci-puy-de-dome"], "courriel", "amelie@exémple.fr")
    assert "xn--" in error["message_fr"] and "domain" in error["message_en"]


def test_a_malformed_email_address_says_what_is_expected(client, credentials):
    error = _refused(client, credentials["cci-puy-de-dome"], "courriel", "amelie.exemple.fr")
    assert "nom@domaine.fr" in error["message_fr"] and "name@domain.fr" in error["message_en"]
