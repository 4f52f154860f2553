"""Heads kept by a witness or a member, checked against an honest hub's archive chain
whose boundary heads were countersigned after they were archived: the countersignatures
of one size are gathered over every file before any is called dropped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit.chain import verify_chain
from hub.audit.heads import countersign
from hub.audit.retention import archive_before
from tests.integration.audit.test_audit_retention import SIGNER, START, daily_log, live_export

pytestmark = pytest.mark.integration
W1, W2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
WITNESSES = {"w1": W1.public_key(), "w2": W2.public_key()}


def _cosign(log, size, name, key):  # type: ignore[no-untyped-def]
    head = [h for h in log.heads() if h.size == size][-1]
    log.add_cosignature(head, countersign(head, name, key), key.public_key())


def _head(log, size):  # type: ignore[no-untyped-def]
    return [h for h in log.heads() if h.size == size][-1]


def _chain(log, tmp_path):  # type: ignore[no-untyped-def]
    """Heads at 5, 10, ... 30; w1 countersigns 10, segment 1 is archived; w2 countersigns
    10 and w1 20, segment 2 is archived; w2 countersigns 20: the head of size 20 as the
    witness keeps it now carries a countersignature the segment closing at 20 lacks."""
    _cosign(log, 10, "w1", W1)
    early = _head(log, 10)
    first = archive_before(log, START + timedelta(days=12), tmp_path, START + timedelta(days=400))
    _cosign(log, 10, "w2", W2)
    _cosign(log, 20, "w1", W1)
    second = archive_before(log, START + timedelta(days=22), tmp_path, START + timedelta(days=400))
    _cosign(log, 20, "w2", W2)
    return early, [first.path, second.path, live_export(log, tmp_path)]


def test_an_honest_chain_with_countersignatures_added_after_archiving_verifies(
        db_engine: sa.Engine, tmp_path: Path) -> None:
    log = daily_log(db_engine)
    early, files = _chain(log, tmp_path)
    seen = [early, *(_head(log, size) for size in (5, 15, 20, 30))]
    report = verify_chain(files, SIGNER.public_key, WITNESSES, seen_heads=seen)
    assert report.ok, report.render()


def test_a_countersignature_in_no_file_is_still_refused(db_engine: sa.Engine,
                                                        tmp_path: Path) -> None:
    log = daily_log(db_engine)
    _early, files = _chain(log, tmp_path)
    w3 = Ed25519PrivateKey.generate()
    _cosign(log, 30, "w3", w3)
    kept = _head(log, 30)  # countersigned by w3 after the live export was written
    report = verify_chain(files, SIGNER.public_key, {**WITNESSES, "w3": w3.public_key()},
                          seen_heads=[kept])
    assert not report.ok and "cosignature_dropped" in {p.code for p in report.problems}
