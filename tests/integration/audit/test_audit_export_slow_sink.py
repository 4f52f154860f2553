"""`capactif audit export` reads the whole log in one transaction while it writes to its
target: a slow target (a pipe read slowly, ssh, a slow disk) leaves that transaction idle
between two reads. The PostgreSQL sessions' idle limit (HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S,
60 s by default) ended it: the export stopped with `store_unavailable` and a file with no
heads nor end line, which the verifier refuses, and a retry on the same sink failed again.
The export's own transaction has no idle limit; both stores."""

from __future__ import annotations

import io
import json
import time

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.audit import trail
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration


class SlowSink(io.StringIO):
    """A target that stalls past the idle limit at its first write."""

    def __init__(self, stall_s: float) -> None:
        super().__init__()
        self.stall_s, self.stalled = stall_s, False

    def write(self, text: str) -> int:
        if not self.stalled:
            self.stalled = True
            time.sleep(self.stall_s)
        return super().write(text)


def test_a_whole_export_to_a_target_slower_than_the_idle_limit_is_whole(db_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url,
                        database_idle_in_transaction_timeout_s=1)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    try:
        trail.record(hub, [trail.event(hub, "search", "pnr-livradois", user=f"u{i}")
                           for i in range(3)])
        sink = SlowSink(stall_s=2.5)
        trail.export_whole(hub, sink, "pnr-livradois")
    finally:
        hub.close()
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert sink.stalled
    assert [line["type"] for line in lines][-1] == "end", lines[-3:]
    assert any(line["type"] == "head" for line in lines)
