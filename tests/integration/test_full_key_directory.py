"""A full key volume (the recovery journal, the KEK file and the signing keys live in
the key directory, HUB_KEY_DIR): a consent withdrawal or an erasure is answered 503
`key_directory_full` in the error envelope, logged naming the key directory, with
nothing half done; once there is room, the same request succeeds. Over real HTTP, on a
real full file system (a 1 MiB tmpfs mounted for the test; without the right to mount,
the journal is pointed at /dev/full, a device every write to fails with ENOSPC)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

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

    def fill_when_committing_an_erasure(self, hub: Hub) -> None:
        """Full from the commit of the transaction that erases (its journal entry written,
        its new keys in the key file): the old keys' destruction after the commit is refused."""
        def fill(_conn: sa.Connection) -> None:
            if not self.filled and any(e["type"] == "erasure" for e in
                                       RecoveryJournal(self.key_dir).entries()):
                self.filled = True
                if self.mounted:
                    self.fill()
                else:  # the key file's next version, written beside it, goes to /dev/full
                    (self.key_dir / f".data_keks.json.{os.getpid()}.tmp").symlink_to("/dev/full")
        self.filled = False
        sa.event.listen(hub.engine, "commit", fill)

    def make_room(self) -> None:
        if self.mounted:
            self._filler.unlink()
        else:
            for path in (self.key_dir / FILE, *self.key_dir.glob(".data_keks.json.*.tmp")):
                path.unlink(missing_ok=True)

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


def _signed(tmp_path: Path, method: str, path: str, body: bytes = b"") -> dict[str, str]:
    creds = Credentials(tmp_path / "credentials" / f"{MEMBER}.json")
    return creds.rfc9421_headers(method, path, body)


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


def _old_keks(hub: Hub) -> set[tuple[int, int]]:
    """The KEKs older than their bucket's generation in the store: what an erasure destroys."""
    with hub.uow() as uow:
        current = uow.keys.generations()
    return {(b, g) for b, g in hub.keyring.generations() if g < current.get(b, 1)}


@pytest.mark.parametrize("route", ["delete", "erasure_request"])
def test_an_erasure_committed_before_its_old_keys_could_be_destroyed_says_so_and_a_retry_answers_the_same(
        hub, volume, tmp_path, caplog, route):
    """Committed, the erasure is answered as recorded (`termine` false, `reste` saying what
    is left and who does it), not 503: a caller told it failed retried and got a 409 (or
    a 404, the fiche removed), or gave up. The same request again answers the same
    erasure and, once there is room, does what was left."""
    fiche = make_fiche()
    record_consents(hub, [fiche])
    caller = Caller(MEMBER, "", "cci", "accompagnement")
    assert accept.push_batch(hub, caller, [fiche])["accepted"] == 1
    with hub.uow() as uow:
        pk = uow.fiches.get(MEMBER, fiche["fiche_id"]).id
    if route == "delete":
        method, path, body = "DELETE", f"/v1/fiches/{MEMBER}/{fiche['fiche_id']}", b""
    else:
        method, path = "POST", "/v1/erasures"
        body = json.dumps({"fiche_id": fiche["fiche_id"]}).encode()
    with served(create_app(hub=hub)) as url:
        def call() -> httpx.Response:
            return httpx.request(method, url + path, content=body, timeout=60,
                                 headers=_signed(tmp_path, method, path, body))
        volume.fill_when_committing_an_erasure(hub)
        first = call()
        assert first.status_code in (200, 201), first.text
        told = first.json()
        assert told["termine"] is False and "reste" in told
        with hub.uow() as uow:
            assert uow.keys.erased([pk]) == {pk}  # recorded: the data keys are gone
        assert _old_keks(hub)  # what is left: the old KEKs, which open older backups
        again = call()  # still full: the same answer, nothing done twice
        assert (again.status_code, again.json()) == (first.status_code, told)
        volume.make_room()
        done = call()
    assert done.status_code == first.status_code, done.text
    assert done.json() == {**told, "termine": True, "reste": None}
    assert not _old_keks(hub)
    assert [e["type"] for e in RecoveryJournal(volume.key_dir).entries()].count("erasure") == 1
    assert _logged_naming(caplog, volume.key_dir)
    assert fiche["porteur"]["nom"] not in caplog.text
