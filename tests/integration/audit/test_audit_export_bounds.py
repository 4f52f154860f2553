"""The whole-log export ends at the head it signs: an access event appended by another
process between that head and the reading of the rows stays out of it, so an honest
export has no entry after its last head (where the verifier refuses entries, since an
event and its recorded leaf hash could be rewritten there together unnoticed)."""

from __future__ import annotations

import io

import pytest

from hub.audit.verify import verify_lines
from hub.services.audit import trail as audit

pytestmark = pytest.mark.integration


def test_an_event_appended_after_the_exports_head_stays_out_of_it(hub, monkeypatch):
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-puy-de-dome")])
    signed = hub.audit.publish_head

    def then_another_process_appends(*args, **kwargs):
        head = signed(*args, **kwargs)
        audit.record(hub, [audit.event(hub, "porteur_view", "pfil-livradois-forez")])
        return head

    monkeypatch.setattr(hub.audit, "publish_head", then_another_process_appends)
    stream = io.StringIO()
    audit.export(hub, stream, "pnr")
    report = verify_lines(stream.getvalue().splitlines(), hub.hub_key.public_key)
    assert report.ok, report.render()
    assert report.entries == report.verified_size == hub.audit.size - 1


@pytest.mark.parametrize("where", ["missing/folder/export.jsonl", "."])
def test_the_export_command_refuses_an_output_it_cannot_write_before_logging_an_export(
        hub, monkeypatch, capsys, tmp_path, where):
    """`capactif audit export --output` naming a folder, or a file in a folder that does
    not exist, stopped with a traceback after logging an export that never happened."""
    from hub import cli

    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())
    size = hub.audit.size
    for kind in ("jsonl", "csv"):
        assert cli.main(["audit", "export", "--format", kind, "--output",
                         str(tmp_path / where)]) == 1
        assert "configuration_error" in capsys.readouterr().err
    assert hub.audit.size == size


def test_the_export_command_says_so_when_its_output_cannot_take_the_export(
        hub, monkeypatch, capsys):
    """An output that opens but takes nothing (a full disk: /dev/full) stopped with a
    traceback; it is a clear configuration error."""
    from hub import cli

    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())
    for kind in ("jsonl", "csv"):
        assert cli.main(["audit", "export", "--format", kind, "--output", "/dev/full"]) == 1
        assert "No space left on device" in capsys.readouterr().err
