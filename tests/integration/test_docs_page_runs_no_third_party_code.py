"""The API's documentation page is served on the console's origin, where a script could
read console pages with the coordinator's session cookie: it loads nothing from another
origin (no Swagger UI or ReDoc from a CDN, no remote favicon or font), runs no script at
all, and says so in a strict Content-Security-Policy. `/redoc` is not served. Over real
HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from hub.api.app import create_app
from tests.e2e.browser import served

pytestmark = pytest.mark.integration


@pytest.fixture
def url(hub) -> Iterator[str]:
    with served(create_app(hub=hub)) as base:
        yield base


def _policy(header: str) -> dict[str, str]:
    return {name: value.strip() for name, _, value in
            (part.strip().partition(" ") for part in header.split(";") if part.strip())}


def test_the_docs_page_loads_nothing_from_elsewhere_and_runs_no_script(url):
    page = httpx.get(url + "/docs", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text.lower()
    assert re.findall(r"(?:src|href)\s*=\s*[\"']?\s*(?:[a-z]+:)?//", page.text, re.I) == []
    policy = _policy(page.headers["content-security-policy"])
    assert policy["default-src"] == "'none'"
    assert "script-src" not in policy and policy["frame-ancestors"] == "'none'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "/openapi.json" in page.text and "/v1/fiches" in page.text


@pytest.mark.parametrize("path", ["/redoc", "/docs/oauth2-redirect"])
def test_no_other_documentation_page_is_served(url, path):
    answer = httpx.get(url + path, timeout=30)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "route_not_found"
