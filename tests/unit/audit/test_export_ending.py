"""An export ends with a line that counts the lines before it: an export cut anywhere (a
download interrupted mid-stream, a proxy that closed the connection cleanly) no longer
verifies, and an honest one, even reformatted, still does."""

from __future__ import annotations

import json

from hub.audit.export import ending_lines
from hub.audit.verify import verify_lines
from tests.unit.audit.test_audit_verify import SIGNER, as_lines, export_records


def test_an_honest_export_ends_with_its_line_count() -> None:
    lines = as_lines(export_records())
    assert json.loads(lines[-1]) == {"type": "end", "lines": len(lines) - 1}
    assert verify_lines(lines, SIGNER.public_key).ok


def test_an_export_cut_after_any_line_does_not_verify() -> None:
    lines = as_lines(export_records())
    for kept in range(len(lines)):
        report = verify_lines(lines[:kept], SIGNER.public_key)
        assert not report.ok, kept
        assert any(p.code == "export_incomplete" for p in report.problems), kept


def test_lines_after_the_end_or_a_line_gone_before_it_do_not_verify() -> None:
    lines = as_lines(export_records())
    after_end = verify_lines([*lines, lines[0]], SIGNER.public_key).problems
    assert "export_incomplete" in {p.code for p in after_end}
    dropped_proof = lines[:-2] + lines[-1:]  # the last consistency proof, silently gone
    assert "export_incomplete" in {
        p.code for p in verify_lines(dropped_proof, SIGNER.public_key).problems}


def test_a_streamed_export_gets_the_same_ending() -> None:
    streamed = list(ending_lines(["{}\n", "{}\n"]))
    assert streamed[-1] == '{"type":"end","lines":2}\n'
    assert list(ending_lines([])) == ['{"type":"end","lines":0}\n']
