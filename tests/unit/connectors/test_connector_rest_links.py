"""The `Link` header's next page is followed on the configured API's origin only."""

import json

import pytest
import requests

from connectors.errors import SourceError
from connectors.rest_source import RestSettings, RestSource


class LinkedPages(requests.Session):
    """Two pages of one item; the first names the second with `link`."""

    def __init__(self, link):
        super().__init__()
        self.link, self.urls = link, []

    def get(self, url, params=None, timeout=None):
        self.urls.append(url)
        answer = requests.Response()
        answer.status_code, answer.url = 200, url
        answer._content = json.dumps([{"id": len(self.urls)}]).encode()
        if len(self.urls) == 1:
            answer.headers["Link"] = f'<{self.link}>; rel="next"'
        return answer


def pages(mapping, link):
    settings = RestSettings(url="https://crm.example.fr/api/contacts", pagination="lien",
                            items_path="$")
    session = LinkedPages(link)
    list(RestSource(mapping, settings, session=session, sleep=lambda s: None).changes(None))
    return session.urls[1:]


@pytest.fixture
def mapping(commune_mapping):
    return commune_mapping


@pytest.mark.parametrize(("link", "followed"), [
    ("/api/contacts?page_info=2", "https://crm.example.fr/api/contacts?page_info=2"),
    ("?page_info=2", "https://crm.example.fr/api/contacts?page_info=2"),
    ("https://CRM.Example.fr:443/api/contacts?page_info=2",
     "https://CRM.Example.fr:443/api/contacts?page_info=2"),
])
def test_a_next_page_on_the_same_origin_however_written_is_followed(mapping, link, followed):
    assert pages(mapping, link) == [followed]


@pytest.mark.parametrize("link", [
    "http://crm.example.fr/api/contacts?page_info=2",
    "https://crm.example.fr:8443/api/contacts?page_info=2",
    "//autre.example.fr/api/contacts?page_info=2",
])
def test_a_next_page_on_another_scheme_host_or_port_is_refused(mapping, link):
    with pytest.raises(SourceError):
        pages(mapping, link)
