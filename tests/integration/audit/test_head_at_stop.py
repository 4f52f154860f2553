"""An API process stopping cleanly (`capactif serve` on SIGTERM) signs a head over the
entries logged since the last one: they are not left unprotected until another
process's next head. Both stores."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.audit import trail as audit
from tests.fakes.publisher import RecordingPublisher
from tests.integration.audit.test_kept_head import kept, logged_and_signed, serving

pytestmark = pytest.mark.integration


def test_an_api_process_stopping_cleanly_signs_what_it_logged(hub):
    logged_and_signed(hub)
    with TestClient(create_app(hub=hub), base_url="http://127.0.0.1"):
        audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers") for _ in range(3)])
        assert hub.audit.latest_head().size == 12
    assert hub.audit.latest_head().size == 15 == kept(hub)["size"]


def test_capactif_serve_stopped_by_sigterm_signs_what_was_logged(hub, tmp_path):
    logged_and_signed(hub)
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers") for _ in range(3)])
    with serving(hub, tmp_path) as (api, _url):
        pass  # answering, then stopped by SIGTERM
    fresh = Hub.from_settings(hub.settings, publisher=RecordingPublisher())
    try:
        assert fresh.audit.latest_head().size == 15 == kept(fresh)["size"], api.tail()
    finally:
        fresh.close()
