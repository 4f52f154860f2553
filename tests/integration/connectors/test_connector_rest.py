"""A CCI's CRM (fake, real HTTP) feeds the hub through the rest connector."""

import json
from pathlib import Path

import orjson
import pytest
import requests

from capactif_demo.sim import crm_server
from capactif_demo.sim.crm_server import CrmServer
from connectors.backoff import retry_after_seconds
from connectors.checkpoint import Checkpoint
from connectors.errors import SourceAuthError, SourceError
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import Runner

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "connectors"


@pytest.fixture
def mapping():
    return Mapping.load(EXAMPLES / "cci-crm" / "correspondance.json")


@pytest.fixture
def crm():
    with CrmServer(45, token="jeton-crm", rate_limit_every=4, retry_after=2) as server:
        yield server


def source(mapping, crm, sleeps, pagination="page", token="jeton-crm"):
    path = "/api/contacts" if pagination == "page" else "/api/contacts/curseur"
    settings = RestSettings(url=crm.url + path, token=token, pagination=pagination, page_size=10)
    return RestSource(mapping, settings, sleep=sleeps.append)


@pytest.mark.parametrize("pagination", ["page", "curseur"])
def test_every_contact_is_read_across_pages_despite_429s(mapping, crm, pagination):
    sleeps: list[float] = []
    records = list(source(mapping, crm, sleeps, pagination).changes(None))
    assert len({r.key for r in records}) == 45
    assert crm.rate_limited >= 1 and sleeps and set(sleeps) == {2.0}


def test_a_refused_token_is_a_clear_error_without_retries(mapping, crm):
    with pytest.raises(SourceAuthError):
        list(source(mapping, crm, [], token="faux").changes(None))
    assert crm.requests == 1


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds("n'importe quoi") is None
    assert retry_after_seconds("²") is None  # a digit to str.isdigit, not to float


def test_crm_contacts_become_valid_fiches_and_a_rerun_sends_only_changes(
        tmp_path, mapping, crm, client, hub):
    def run():
        return Runner(source(mapping, crm, []), client, Checkpoint(tmp_path / "reprise.json"),
                      RejectsFile(tmp_path / "rejets.jsonl"), batch_size=20).run()

    first = run()
    assert first.complete and first.accepted == 45 and first.rejected_local == 0
    crm.update(10_003, pipeline_stage="Immatriculé")
    crm.delete(10_007)
    second = run()
    assert second.accepted == 1 and second.withdrawals == ["CCI-10007"]
    stored = hub.fiches[("commune-ambert", "CCI-10003")]
    assert stored["projet"]["stade"] == "installe" and stored["version"] == 2


def test_a_crm_down_is_a_source_error_not_a_requests_exception(mapping):
    settings = RestSettings(url="http://127.0.0.1:9/api", max_attempts=2, timeout_s=1)
    with pytest.raises(Exception) as caught:
        list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
    assert not isinstance(caught.value, requests.RequestException)
    assert caught.value.__class__.__name__ == "SourceError"


def test_a_crm_serving_fewer_per_page_than_asked_is_still_read_to_its_last_page(mapping):
    """The CRM caps `per_page` at 200; asked for 500, its first page of 200 was taken for
    the last one: a third of the contacts was missing from a run reported complete (and,
    listed by id rather than by date, would never have come)."""
    with CrmServer(300, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=500)
        records = list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
    assert len({r.key for r in records}) == 300


def test_a_crm_answering_its_last_page_again_past_the_end_is_read_once(mapping):
    """Some APIs clamp a page number past the end to their last page: the listing stops
    at the first page that repeats the one before, not after `max_pages` requests."""
    class Clamping(CrmServer):
        def answer(self, path, query, auth):
            status, body = super().answer(path, query, auth)
            if status == 200 and not body["data"]:
                return super().answer(path, {**query, "page": [str(body["page"] - 1)]}, auth)
            return status, body

    with Clamping(30, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=100)
        records = list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
        assert crm.requests <= 4  # pages 1 and 2 (answered twice here), page 2 of one item
    assert len(records) == 30 and len({r.key for r in records}) == 30


def test_a_crm_naming_its_next_page_in_a_link_header_is_read_to_the_end(mapping):
    """`"pagination": "lien"`: a bare JSON list per page, the next page's URL (an opaque
    `page_info`) in `Link: <…>; rel="next"`; the filter travels in that URL."""
    with CrmServer(120, token="jeton-crm", rate_limit_every=3, retry_after=1) as crm:
        settings = RestSettings(url=crm.url + "/api/contacts/lien", token="jeton-crm",
                                pagination="lien", page_size=50, items_path="$")
        records = list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
    assert len(records) == 120 and len({r.key for r in records}) == 120


def test_a_next_page_link_to_another_host_is_not_followed_with_the_token(mapping):
    class Elsewhere(CrmServer):
        def next_link(self, path, query):
            return "http://autre-hote.example/api/contacts/lien?page_info=50"

    with Elsewhere(120, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts/lien", token="jeton-crm",
                                pagination="lien", page_size=50, items_path="$")
        with pytest.raises(SourceError) as refused:
            list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
        assert crm.requests == 1
    assert "jeton" in refused.value.message_fr


def test_an_api_answering_its_first_page_to_every_page_number_is_a_clear_error(mapping):
    """An API paged by cursor or Link header ignores `page`: its first page came again
    and again (up to `max_pages` requests), or, after the repeat check, ended the
    listing as if complete. It is a configuration to change, said as such."""
    class IgnoresPage(CrmServer):
        def answer(self, path, query, auth):
            return super().answer(path, {**query, "page": ["1"]}, auth)

    with IgnoresPage(120, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=50)
        with pytest.raises(SourceError) as refused:
            list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
        assert crm.requests == 3  # pages 1 and 2, then page 2 of one item
    assert "pagination" in refused.value.message_fr


def read_numbered(crm, mapping, page_size):
    settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=page_size)
    return list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))


def test_an_api_answering_404_past_its_last_page_ends_the_listing(mapping):
    """Django REST Framework answers a page number past the end with 404 « Invalid page »:
    after a page shorter than asked, that is the end of the listing, not a source error."""
    class NotFoundPastTheEnd(CrmServer):
        def answer(self, path, query, auth):
            status, body = super().answer(path, query, auth)
            if status == 200 and not body["data"] and body["page"] > 1:
                return 404, {"detail": "Invalid page."}
            return status, body

    with NotFoundPastTheEnd(30, token="jeton-crm") as crm:
        records = read_numbered(crm, mapping, 50)
    assert len({r.key for r in records}) == 30
    with NotFoundPastTheEnd(130, token="jeton-crm") as crm:
        records = read_numbered(crm, mapping, 50)
    assert len({r.key for r in records}) == 130


def test_a_404_for_a_page_after_a_full_one_is_still_a_source_error(mapping):
    class Gone(CrmServer):
        def answer(self, path, query, auth):
            status, body = super().answer(path, query, auth)
            return (404, {"detail": "Invalid page."}) if query.get("page") == ["2"] else (
                status, body)

    with Gone(130, token="jeton-crm") as crm, pytest.raises(SourceError):
        read_numbered(crm, mapping, 50)


class Clamping(CrmServer):
    """Answers a page number past the end with its last page."""

    def answer(self, path, query, auth):
        status, body = super().answer(path, query, auth)
        if status == 200 and not body["data"] and body["page"] > 1:
            last = max(1, -(-body["total"] // body["per_page"]))
            return super().answer(path, {**query, "page": [str(last)]}, auth)
        return status, body


def test_a_clamping_api_whose_contacts_fill_every_page_is_read_to_its_end(mapping):
    """200 contacts, 100 a page: page 3 repeats page 2, which ends the listing (only
    page 2 repeating page 1 says the API ignores the page number)."""
    with Clamping(200, token="jeton-crm") as crm:
        records = read_numbered(crm, mapping, 100)
    assert len({r.key for r in records}) == 200


def test_a_clamping_api_holding_exactly_one_page_is_read_once(mapping):
    with Clamping(50, token="jeton-crm") as crm:
        records = read_numbered(crm, mapping, 50)
    assert len(records) == 50 and len({r.key for r in records}) == 50


def test_an_api_ignoring_the_page_number_and_serving_fewer_than_asked_is_a_clear_error(mapping):
    """Capped at 50 a page and asked for 100, an API that ignores `page` answers its first
    50 to page 2 too: the listing must not end there as if complete."""
    class IgnoresPageCapped(CrmServer):
        def answer(self, path, query, auth):
            return super().answer(path, {**query, "page": ["1"], "per_page": ["50"]}, auth)

    with IgnoresPageCapped(120, token="jeton-crm") as crm, pytest.raises(SourceError) as refused:
        read_numbered(crm, mapping, 100)
    assert "pagination" in refused.value.message_fr


def test_a_next_page_link_given_as_a_relative_url_is_followed(mapping):
    """RFC 8288 allows a relative `Link` target, resolved against the answer's URL."""
    class Relative(CrmServer):
        def next_link(self, path, query):
            link = super().next_link(path, query)
            return link and link.removeprefix(self.url)

    with Relative(120, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts/lien", token="jeton-crm",
                                pagination="lien", page_size=50, items_path="$")
        records = list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
    assert len({r.key for r in records}) == 120


class AlwaysNext(CrmServer):
    """Names a next page in every answer, even past its last contact (a next link
    computed as "this page + 1" without looking at the total)."""

    def next_link(self, path, query):
        start = int(query.get("page_info", ["0"])[0])
        return f"{self.url}{path}?limit=50&page_info={start + 50}"


class LinksToItself(CrmServer):
    """Its last page names itself as the next one."""

    def next_link(self, path, query):
        start = int(query.get("page_info", ["0"])[0])
        return f"{self.url}{path}?limit=50&page_info={min(start + 50, 100)}"


@pytest.mark.parametrize(("server", "requests_max"), [
    (AlwaysNext, 8),  # three pages, then five empty ones (an empty page may come before more)
    (LinksToItself, 4),  # three pages, then the last one again
])
def test_a_link_header_naming_a_page_forever_ends_at_the_last_contact(mapping, server,
                                                                      requests_max):
    with server(120, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts/lien", token="jeton-crm",
                                pagination="lien", page_size=50, items_path="$", max_pages=50)
        records = list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
        assert len(records) == 120 and len({r.key for r in records}) == 120
        assert crm.requests <= requests_max


def keys_by_cursor(mapping, crm):
    settings = RestSettings(url=crm.url + "/api/contacts/curseur", token="jeton-crm",
                            pagination="curseur", page_size=20, max_pages=50)
    return {r.key for r in RestSource(mapping, settings, sleep=lambda s: None).changes(None)}


def test_a_cursor_given_back_unchanged_ends_the_listing(mapping):
    class SameCursor(CrmServer):
        def answer(self, path, query, auth):
            status, body = super().answer(path, query, auth)
            if isinstance(body, dict) and body.get("next_cursor") is None:
                body["next_cursor"] = query.get("cursor", ["0"])[0]  # its last cursor again
            return status, body

    with SameCursor(45, token="jeton-crm") as crm:
        assert len(keys_by_cursor(mapping, crm)) == 45
        assert crm.requests <= 4


def test_a_scroll_api_keeping_its_cursor_while_advancing_is_read_to_its_end(mapping):
    class Scroll(CrmServer):
        """One cursor for the whole listing (an Elasticsearch scroll_id): the server
        advances its session on each request, and ends with an empty page."""

        served = 0

        def answer(self, path, query, auth):
            status, body = super().answer(path, {**query, "cursor": [str(self.served)]}, auth)
            self.served += len(body["data"])
            body["next_cursor"] = "scroll-1"
            return status, body

    with Scroll(45, token="jeton-crm") as crm:
        assert len(keys_by_cursor(mapping, crm)) == 45


def test_an_empty_page_whose_link_names_a_page_not_read_is_not_the_end(mapping):
    class Filtered(CrmServer):
        """Filters after paging: the second page comes back empty, the third is not."""

        def answer(self, path, query, auth):
            status, body = super().answer(path, query, auth)
            return status, [] if query.get("page_info") == ["50"] else body

    with Filtered(120, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts/lien", token="jeton-crm",
                                pagination="lien", page_size=50, items_path="$")
        records = list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
    assert len({r.key for r in records}) == 70


class Holes(CrmServer):
    """Lists `null` and a bare id at the third and fifth places of its first page."""

    def answer(self, path, query, auth):
        status, page = super().answer(path, query, auth)
        if status == 200 and query.get("page") == ["1"]:
            page["data"][2], page["data"][4] = None, "1234"
        return status, page


def test_an_item_that_is_not_an_object_is_a_reject_at_its_position_not_dropped(mapping):
    """A CRM listing `null` (a contact deleted while the page was built) or a bare id among
    its contacts: the item was skipped without a word, and the run reported complete."""
    with Holes(20, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=10)
        records = list(RestSource(mapping, settings, sleep=lambda s: None).changes(None))
    assert len(records) == 20
    faulty = {r.line: [p.code for p in r.problems] for r in records if r.problems}
    assert set(faulty) == {3, 5} and all(codes[0] == "element_non_objet" for codes in faulty.values())
    message = next(r for r in records if r.line == 5).problems[0].message_en
    assert "1234" not in message and "object" in message


def test_items_that_are_not_objects_are_rejected_and_the_others_go(tmp_path, mapping, client, hub):
    with Holes(20, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=10)
        result = Runner(RestSource(mapping, settings, sleep=lambda s: None), client,
                        Checkpoint(tmp_path / "reprise.json"),
                        RejectsFile(tmp_path / "rejets.jsonl"), batch_size=20).run()
    assert (result.accepted, result.rejected_local) == (18, 2)


class LoneSurrogate(CrmServer):
    """Answers a lone surrogate escape (`\\ud800`, JSON text every decoder accepts, no
    character) in the third contact's company name and the fifth's last name."""

    def answer(self, path, query, auth):
        status, page = super().answer(path, query, auth)
        if status == 200 and query.get("page") == ["1"]:
            page["data"][2]["company"]["name"] = "Four<SURROGATE>nil"
            page["data"][4]["last_name"] = "<SURROGATE>"
        return status, page

    @staticmethod
    def dumps(payload) -> bytes:  # stands for the server's orjson
        return orjson.dumps(payload).replace(b"<SURROGATE>", b"\\ud800")


def test_a_lone_surrogate_rejects_its_row_and_the_run_goes_on(tmp_path, mapping, client, hub,
                                                              monkeypatch):
    """The run stopped on the third contact (orjson's TypeError hashing the fiche, the
    validator's UnicodeEncodeError): the row is rejected naming its field, its column and
    the code point, as a control character is, and the other contacts go."""
    monkeypatch.setattr(crm_server, "orjson", LoneSurrogate)
    rejects = tmp_path / "rejets.jsonl"
    with LoneSurrogate(20, token="jeton-crm") as crm:
        settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=10)
        result = Runner(RestSource(mapping, settings, sleep=lambda s: None), client,
                        Checkpoint(tmp_path / "reprise.json"), RejectsFile(rejects),
                        batch_size=20).run()
    assert (result.accepted, result.rejected_local) == (18, 2)
    found = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["ligne"], [(e["path"], e["colonne"], e["code"]) for e in r["erreurs"]])
            for r in found] == [
        (3, [("$.projet.intitule", "$.company.name", "format")]),
        (5, [("$.porteur.nom", "$.last_name", "format")])]
    for reject in found:
        [error] = reject["erreurs"]
        assert "U+D800" in error["message_fr"] and "Cs" in error["message_en"]
