"""`capactif audit export` on a read-only data directory (a DPO working on a forensic
copy) printed a raw SQLAlchemy traceback (the export logs itself and signs a head): it
says the folder is read-only and how to export from a writable copy, and leaves no file.
`capactif status` there said the store was busy ("réessayez"): it says read-only."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.audit.verify import verify_file
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.audit import trail as audit
from hub.services.ops.admin import initialise
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def immutable(folder: Path) -> Iterator[None]:
    """The folder and its files refuse every write, even root's (chmod does not stop root)."""
    paths = [folder, *folder.rglob("*")]
    subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


def test_the_export_of_a_read_only_data_directory_says_how_to_export_a_copy(tmp_path):
    data_dir = tmp_path / "data"
    initialise(Settings(data_dir=data_dir))
    hub = Hub.from_settings(Settings(data_dir=data_dir), publisher=RecordingPublisher())
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers") for _ in range(4)])
    audit.publish_head(hub)
    keys, key_dir = hub.hub_keys.public_keys(), hub.settings.key_folder
    hub.close()
    (tmp_path / "out").mkdir()
    output = tmp_path / "out" / "journal.jsonl"
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_KEY_DIR": str(key_dir)}
    env.pop("HUB_DATABASE_URL", None)
    with immutable(data_dir):
        done = subprocess.run([sys.executable, "-m", "hub.cli", "audit", "export", "--output",
                               str(output)], capture_output=True, text=True, env=env, timeout=120)
        status = subprocess.run([sys.executable, "-m", "hub.cli", "status"],
                                capture_output=True, text=True, env=env, timeout=120)
    assert "data_directory_read_only" in status.stderr, status.stderr  # not "busy; retry"
    assert "réessayez" not in status.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1 and "data_directory_read_only" in done.stderr, done.stderr
    assert "HUB_DATA_DIR" in done.stderr and not output.exists()
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(data_dir), str(copy)], check=True)
    subprocess.run(["chattr", "-R", "-i", str(copy)], check=True)
    env["HUB_DATA_DIR"] = str(copy)
    done = subprocess.run([sys.executable, "-m", "hub.cli", "audit", "export", "--output",
                           str(output)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    report = verify_file(output, keys)
    assert report.ok and report.entries == 5, report.render()  # and the export's own event
