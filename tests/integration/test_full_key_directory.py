"""A full key volume (the recovery journal, the KEK file and the signing keys live in
the key directory, HUB_KEY_DIR): a consent withdrawal or an erasure is answered 503
`key_directory_full` in the error envelope, logged naming the key directory, with
nothing half done; once there is room, the same request succeeds. Over real HTTP, on a
real full file system (a 1 MiB tmpfs mounted for the test; without the right to mount,
the journal is pointed at /dev/full, a device every write to fails with ENOSPC)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.journal import FILE, RecoveryJournal
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept
from tests.e2e.browser import served
from tests.factories import Credentials, make_fiche, make_network, record_consents
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration
MEMBER = "cci-puy-de-dome"


class KeyVolume:
    """The key directory on a volume the test fills, then frees."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(root)],
            capture_output=True, check=False).returncode == 0
        self.key_dir = root / "keys"
        self._filler = root / "filler"

    def fill(self) -> None:
        if not self.mounted:
            (self.key_dir / FILE).unlink(missing_ok=True)
            (self.key_dir / FILE).symlink_to("/dev/full")
            return
        fd = os.open(self._filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with contextlib.suppress(OSError):
                while os.write(fd, b"x" * 4096):
                    pass
        finally:
            os.close(fd)

    def make_room(self) -> None:
        if self.mounted:
            self._filler.unlink()
        else:
            (self.key_dir / FILE).unlink()

    def release(self) -> None:
        if self.mounted:
            subprocess.run(["umount", str(self.root)], check=True)


@pytest.fixture
def volume(tmp_path) -> Iterator[KeyVolume]:
    root = tmp_path / "key-volume"
    root.mkdir(mode=0o700)
    found = KeyVolume(root)
    try:
        yield found
    finally:
        found.release()


@pytest.fixture
def hub(db_url, tmp_path, volume) -> Iterator[Hub]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url, key_dir=volume.key_dir)
    built = Hub.from_settings(settings, publisher=RecordingPublisher())
    load_network(built, make_network(tmp_path / "network.json", [MEMBER]), tmp_path / "credentials")
    try:
        yield built
    finally:
        built.close()


def _signed(tmp_path: Path, method: str, path: str) -> dict[str, str]:
    creds = Credentials(tmp_path / "credentials" / f"{MEMBER}.json")
    return creds.rfc9421_headers(method, path, b"")


def _said_full(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "key_directory_full"
    assert "Retry-After" in response.headers


def _logged_naming(caplog, key_dir: Path) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if "key_directory_full" in r.getMessage() and str(key_dir) in r.getMessage()]


def test_a_withdrawal_on_a_full_key_volume_is_refused_whole_then_goes_once_there_is_room(
        hub, volume, tmp_path, caplog):
    fiche = make_fiche()
    [consent] = record_consents(hub, [fiche])
    path = f"/v1/consents/{consent.id}/withdraw"
    with served(create_app(hub=hub)) as url:
        volume.fill()
        full = httpx.post(url + path, content=b"", headers=_signed(tmp_path, "POST", path),
                          timeout=60)
        _said_full(full)
        assert not hub.consents.get(consent.id).withdrawn  # nothing half done
        volume.make_room()
        again = httpx.post(url + path, content=b"", headers=_signed(tmp_path, "POST", path),
                           timeout=60)
    assert again.status_code == 200, again.text
    withdrawals = [e["consent_id"] for e in RecoveryJournal(volume.key_dir).entries()
                   if e["type"] == "withdrawal"]
    assert withdrawals == [consent.id]
    assert _logged_naming(caplog, volume.key_dir)
    assert fiche["porteur"]["nom"] not in caplog.text


def test_an_erasure_on_a_full_key_volume_is_refused_whole_then_goes_once_there_is_room(
        hub, volume, tmp_path, caplog):
    fiche = make_fiche()
    record_consents(hub, [fiche])
    caller = Caller(MEMBER, "", "cci", "accompagnement")
    assert accept.push_batch(hub, caller, [fiche])["accepted"] == 1
    path = f"/v1/fiches/{MEMBER}/{fiche['fiche_id']}"
    keks = hub.keyring.generations()
    with served(create_app(hub=hub)) as url:
        volume.fill()
        full = httpx.delete(url + path, headers=_signed(tmp_path, "DELETE", path), timeout=60)
        _said_full(full)
        assert hub.keyring.generations() >= keks  # no KEK lost
        with hub.uow() as uow:
            assert not uow.keys.erased([uow.fiches.get(MEMBER, fiche["fiche_id"]).id])
        volume.make_room()
        again = httpx.delete(url + path, headers=_signed(tmp_path, "DELETE", path), timeout=60)
    assert again.status_code == 200, again.text
    assert [e["type"] for e in RecoveryJournal(volume.key_dir).entries()].count("erasure") == 1
    assert _logged_naming(caplog, volume.key_dir)
    assert fiche["porteur"]["nom"] not in caplog.text
