"""A full key volume (the recovery journal, the KEK file and the signing keys live in
the key directory, HUB_KEY_DIR): a consent withdrawal or an erasure is answered 503
`key_directory_full` in the error envelope, logged naming the key directory, with
nothing half done; once there is room, the same request succeeds. Over real HTTP, on a
real full file system (a 1 MiB tmpfs mounted for the test; without the right to mount,
the journal is pointed at /dev/full, a device every write to fails with ENOSPC)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import NotFound
from hub.journal import FILE, RecoveryJournal
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept, processing
from hub.services.privacy import erasure, erasure_retries
from hub.services.privacy.key_rotation import rotate_data_keys
from hub.store.erasure_tables import erasure_answers
from tests.e2e.browser import served
from tests.factories import Credentials, make_fiche, make_network, other_porteur, record_consents
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
        self._armed: tuple[Any, ...] | None = None

    def fill(self) -> None:
        if not self.mounted:
            (self.key_dir / FILE).unlink(missing_ok=True)
            (self.key_dir / FILE).symlink_to("/dev/full")
            return
        # A line fits in the slack of the journal's last page without a new block: its
        # earlier lines (the network load's decisions) are moved aside, so that the next
        # line needs a block the full volume no longer has.
        with contextlib.suppress(FileNotFoundError):
            (self.key_dir / FILE).rename(self.root / f"{FILE}.earlier")
        self._take_every_block()

    def _take_every_block(self) -> None:
        fd = os.open(self._filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with contextlib.suppress(OSError):
                while os.write(fd, b"x" * 4096):
                    pass
        finally:
            os.close(fd)

    def fill_when_committing_an_erasure(self, hub: Hub) -> None:
        """Full from the commit of the transaction that erases next (its journal entry
        written, its new keys in the key file): the old keys' destruction after the commit
        is refused."""
        if self._armed is not None:
            sa.event.remove(*self._armed)
        erasures_before = self._erasures()

        def fill(_conn: sa.Connection) -> None:
            if not self.filled and self._erasures() > erasures_before:
                self.filled = True
                if self.mounted:
                    self._take_every_block()
                else:  # the key file's next version, written beside it, goes to /dev/full
                    (self.key_dir / f".data_keks.json.{os.getpid()}.tmp").symlink_to("/dev/full")
        self.filled = False
        self._armed = (hub.engine, "commit", fill)
        sa.event.listen(*self._armed)

    def _erasures(self) -> int:
        return [e["type"] for e in RecoveryJournal(self.key_dir).entries()].count("erasure")

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


def test_a_batch_withdrawal_on_a_full_key_volume_is_refused_whole_then_goes_once_there_is_room(
        hub, volume, tmp_path, caplog):
    documents = [make_fiche(fiche_id=f"F-{n}", porteur=other_porteur(n)) for n in (1, 2, 3)]
    record_consents(hub, documents)
    caller = Caller(MEMBER, "", "cci", "accompagnement")
    assert accept.push_batch(hub, caller, documents)["accepted"] == 3
    with hub.uow() as uow:
        pks = [uow.fiches.get(MEMBER, d["fiche_id"]).id for d in documents]
    path = f"/v1/fiches/{MEMBER}/withdrawals"
    body = json.dumps({"fiche_ids": [d["fiche_id"] for d in documents]}).encode()
    keks = hub.keyring.generations()
    with served(create_app(hub=hub)) as url:
        def call() -> httpx.Response:
            return httpx.post(url + path, content=body, timeout=60,
                              headers=_signed(tmp_path, "POST", path, body))
        volume.fill()
        _said_full(call())
        assert hub.keyring.generations() >= keks  # no KEK lost
        with hub.uow() as uow:
            assert not uow.keys.erased(pks)  # none of the batch erased
        volume.make_room()
        again = call()
    assert again.status_code == 200, again.text
    assert [r["statut"] for r in again.json()["resultats"]] == ["effacee"] * 3
    erasures = [e for e in RecoveryJournal(volume.key_dir).entries() if e["type"] == "erasure"]
    assert [sorted(e["fiche_pks"]) for e in erasures] == [sorted(pks)]
    assert _logged_naming(caplog, volume.key_dir)
    assert all(d["porteur"]["nom"] not in caplog.text for d in documents)


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


def _pushed(hub: Hub, fiche: dict[str, Any]) -> int:
    """`fiche` pushed by MEMBER and processed (given its porteur): its pk."""
    record_consents(hub, [fiche])
    caller = Caller(MEMBER, "", "cci", "accompagnement")
    assert accept.push_batch(hub, caller, [fiche])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    with hub.uow() as uow:
        return int(uow.fiches.get(MEMBER, fiche["fiche_id"]).id)


def _deleting(url: str, tmp_path: Path, fiche: dict[str, Any]) -> Callable[[], httpx.Response]:
    path = f"/v1/fiches/{MEMBER}/{fiche['fiche_id']}"
    return lambda: httpx.delete(url + path, headers=_signed(tmp_path, "DELETE", path), timeout=60)


def _removed_unfinished(hub: Hub, volume: KeyVolume,
                        delete: Callable[[], httpx.Response]) -> dict[str, Any]:
    """The removal's answer, its old keys left (the volume full as it commits); room
    made after."""
    volume.fill_when_committing_an_erasure(hub)
    first = delete()
    assert first.status_code == 200 and first.json()["termine"] is False, first.text
    volume.make_room()
    return dict(first.json())


def test_a_retry_after_the_fiche_id_was_pushed_again_and_removed_anew_never_answers_the_first_removal(
        hub, volume, tmp_path):
    """An unfinished removal's answer is kept for its request; the member pushes the same
    fiche id again and removes it (finished): the same DELETE again answers that second
    removal (whose answer replaced the first's), never the first removal."""
    fiche = make_fiche()
    _pushed(hub, fiche)
    with served(create_app(hub=hub)) as url:
        delete = _deleting(url, tmp_path, fiche)
        first = _removed_unfinished(hub, volume, delete)
        _pushed(hub, make_fiche(fiche_id=fiche["fiche_id"], version=2))
        second = delete()
        assert second.status_code == 200 and second.json()["termine"] is True, second.text
        assert second.json()["effacement"] != first["effacement"]
        third = delete()
    assert third.status_code == 200, third.text
    assert third.json() == second.json()
    assert not _old_keks(hub)


@pytest.mark.parametrize("then", ["another_removal", "rotation"])
def test_a_retry_after_another_erasure_or_a_rotation_destroyed_the_old_keys_answers_the_first_finished(
        hub, volume, tmp_path, then):
    """A removal left unfinished; another removal (finished) or a key rotation destroys
    every old KEK: the same DELETE again answers the first removal, finished now (not
    404, the fiche removed), as many times as it is sent."""
    fiche = make_fiche()
    _pushed(hub, fiche)
    other = make_fiche(fiche_id="F-0002", porteur=other_porteur(3))
    _pushed(hub, other)
    with served(create_app(hub=hub)) as url:
        delete = _deleting(url, tmp_path, fiche)
        first = _removed_unfinished(hub, volume, delete)
        if then == "rotation":
            assert rotate_data_keys(hub) > 0
        else:
            assert _deleting(url, tmp_path, other)().json()["termine"] is True
        assert not _old_keks(hub)
        again = delete()
        after = delete()
    assert again.status_code == 200, again.text
    assert again.json() == {**first, "termine": True, "reste": None}
    assert (after.status_code, after.json()) == (200, again.json())


def test_an_unfinished_removal_is_answered_again_for_a_day_only(hub, volume, tmp_path):
    """The answer kept for the same request again lives KEPT_FOR: later the request is
    refused as any other (404, the fiche removed), and the next erasure kept drops it."""
    fiche = make_fiche()
    _pushed(hub, fiche)
    other = make_fiche(fiche_id="F-0002", porteur=other_porteur(3))
    _pushed(hub, other)
    caller = Caller(MEMBER, "", "cci", "accompagnement")
    with served(create_app(hub=hub)) as url:
        _removed_unfinished(hub, volume, _deleting(url, tmp_path, fiche))
    start = hub.clock()
    hub.clock = lambda: start + erasure_retries.KEPT_FOR + dt.timedelta(minutes=1)
    with pytest.raises(NotFound):
        erasure.delete_fiche(hub, caller, MEMBER, fiche["fiche_id"])
    volume.fill_when_committing_an_erasure(hub)
    assert erasure.delete_fiche(hub, caller, MEMBER, other["fiche_id"])["termine"] is False
    with hub.uow() as uow:
        kept = uow.connection.execute(sa.select(erasure_answers.c.erasure_id)).scalars().all()
    assert len(kept) == 1  # the later removal's own


def test_a_retry_after_the_coordination_erased_the_fiche_pushed_again_is_refused_not_answered(
        hub, volume, tmp_path):
    """Both erasures left unfinished: the member's DELETE again finds the fiche pushed
    again erased by the coordination (409 already erased), not its own first removal;
    the coordination's request again answers the coordination's erasure."""
    fiche = make_fiche()
    _pushed(hub, fiche)
    coordination = Caller(MEMBER, "", "cci", "coordination")
    with served(create_app(hub=hub)) as url:
        delete = _deleting(url, tmp_path, fiche)
        _removed_unfinished(hub, volume, delete)
        pk = _pushed(hub, make_fiche(fiche_id=fiche["fiche_id"], version=2))
        with hub.uow() as uow:
            body = {"porteur_id": uow.fiches.get(MEMBER, fiche["fiche_id"]).porteur_id}
        volume.fill_when_committing_an_erasure(hub)
        by_coordination = erasure.request_erasure(hub, coordination, body)
        assert by_coordination["termine"] is False
        with hub.uow() as uow:
            assert uow.keys.erased([pk]) == {pk}
        again = delete()
        assert again.status_code == 409, again.text
        assert again.json()["error"]["code"] == "already_erased"
        assert erasure.request_erasure(hub, coordination, body) == by_coordination
        volume.make_room()
        finished = erasure.request_erasure(hub, coordination, body)
        after = delete()
    assert finished == {**by_coordination, "termine": True, "reste": None}
    assert after.status_code == 409, after.text
    assert not _old_keks(hub)


def test_a_removal_killed_after_its_commit_is_answered_again_by_the_same_request(
        hub, volume, tmp_path, db_url):
    """A real process erasing on a full key volume, killed (SIGKILL) after the commit,
    before answering: the same DELETE again, to a hub started afresh, answers that
    removal (not 404, the fiche removed), as often as it is sent, and destroys the old
    keys left."""
    fiche = make_fiche()
    _pushed(hub, fiche)
    hub.close()
    child = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from hub.bootstrap import Hub
        from hub.config import Settings
        from hub.services.accounts.auth import Caller
        from hub.services.privacy import erasure
        from tests.fakes.publisher import RecordingPublisher
        from tests.integration.test_full_key_directory import KeyVolume
        volume = KeyVolume.__new__(KeyVolume)
        volume.root, volume.mounted = Path({str(volume.root)!r}), {volume.mounted!r}
        volume.key_dir, volume._filler, volume._armed = Path({str(volume.key_dir)!r}), \\
            Path({str(volume._filler)!r}), None
        hub = Hub.from_settings(Settings(data_dir=Path({str(tmp_path / "data")!r}),
                                         database_url={db_url!r}, key_dir=volume.key_dir),
                                publisher=RecordingPublisher())
        volume.fill_when_committing_an_erasure(hub)
        def killed(*_args, **_kwargs):  # the erasure committed, its answer not yet made
            os.kill(os.getpid(), signal.SIGKILL)
        erasure.erasure_retries.told = killed
        erasure.delete_fiche(hub, Caller({MEMBER!r}, "", "cci", "accompagnement"),
                             {MEMBER!r}, {fiche["fiche_id"]!r})
    """)
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    volume.make_room()
    fresh = Hub.from_settings(Settings(data_dir=tmp_path / "data", database_url=db_url,
                                       key_dir=volume.key_dir), publisher=RecordingPublisher())
    try:
        with fresh.uow() as uow:
            assert uow.erasures.count() == 1
            [made] = [e["id"] for e in RecoveryJournal(volume.key_dir).entries()
                      if e["type"] == "erasure"]
        with served(create_app(hub=fresh)) as url:
            delete = _deleting(url, tmp_path, fiche)
            again = delete()
            after = delete()
        assert again.status_code == 200, again.text
        assert again.json()["effacement"] == made
        assert (again.json()["termine"], again.json()["reste"]) == (True, None)
        assert (after.status_code, after.json()) == (200, again.json())
        assert not _old_keks(fresh)
    finally:
        fresh.close()


OWNER = "cma-allier"


def test_an_owner_confirming_an_erasure_request_on_a_full_key_volume_is_told_what_is_left(
        db_url, tmp_path, volume):
    """The owner asked confirms (its fiches erased, the old keys refused by the full
    volume after the commit): told `termine` false and what is left, as the erasure
    itself says; not a confirmation that hides it."""
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url, key_dir=volume.key_dir)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    try:
        load_network(hub, make_network(tmp_path / "network.json", [MEMBER, OWNER]),
                     tmp_path / "credentials")
        requester_pk = _pushed(hub, make_fiche())
        owned = make_fiche(member=OWNER, fiche_id="G-1")
        record_consents(hub, [owned])
        assert accept.push_batch(hub, Caller(OWNER, "", "cci", "accompagnement"),
                                 [owned])["accepted"] == 1
        processing.process_outbox(hub, hub.publisher.published[-1])
        with hub.uow() as uow:
            owned_pk = uow.fiches.get(OWNER, "G-1").id
            assert uow.fiches.get(OWNER, "G-1").porteur_id == \
                uow.fiches.get(MEMBER, "F-0001").porteur_id
        asked = erasure.request_erasure(hub, Caller(MEMBER, "", "cci", "accompagnement"),
                                        {"fiche_id": "F-0001"})
        assert [d["membre"] for d in asked["demandes"]] == [OWNER] and asked["termine"]
        path, body = f"/v1/erasures/{asked['effacement']}/answer", b'{"reponse": "confirmee"}'
        creds = Credentials(tmp_path / "credentials" / f"{OWNER}.json")
        with served(create_app(hub=hub)) as url:
            volume.fill_when_committing_an_erasure(hub)
            confirmed = httpx.post(url + path, content=body, timeout=60,
                                   headers=creds.rfc9421_headers("POST", path, body))
        assert confirmed.status_code == 200, confirmed.text
        told = confirmed.json()
        assert (told["statut"], told["fiches_effacees"], told["termine"]) == ("confirmed", 1, False)
        assert told["reste"]["code"] == "anciennes_cles_a_detruire"
        with hub.uow() as uow:
            assert uow.keys.erased([requester_pk, owned_pk]) == {requester_pk, owned_pk}
        assert _old_keks(hub)
    finally:
        hub.close()


@pytest.mark.parametrize("room", [False, True], ids=["still_full", "room_made"])
def test_an_owner_confirming_again_after_an_unfinished_confirmation_is_told_it_again(
        db_url, tmp_path, volume, room):
    """The owner's confirmation left unfinished (the volume full as it commits): the same
    confirmation again is answered as then (not 409, the request already answered),
    `termine` worked out anew (true once there is room), as often as it is sent."""
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url, key_dir=volume.key_dir)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    try:
        load_network(hub, make_network(tmp_path / "network.json", [MEMBER, OWNER]),
                     tmp_path / "credentials")
        _pushed(hub, make_fiche())
        owned = make_fiche(member=OWNER, fiche_id="G-1")
        record_consents(hub, [owned])
        accept.push_batch(hub, Caller(OWNER, "", "cci", "accompagnement"), [owned])
        processing.process_outbox(hub, hub.publisher.published[-1])
        asked = erasure.request_erasure(hub, Caller(MEMBER, "", "cci", "accompagnement"),
                                        {"fiche_id": "F-0001"})
        path, body = f"/v1/erasures/{asked['effacement']}/answer", b'{"reponse": "confirmee"}'
        creds = Credentials(tmp_path / "credentials" / f"{OWNER}.json")
        with served(create_app(hub=hub)) as url:
            def confirm() -> httpx.Response:
                return httpx.post(url + path, content=body, timeout=60,
                                  headers=creds.rfc9421_headers("POST", path, body))
            volume.fill_when_committing_an_erasure(hub)
            first = confirm()
            assert first.status_code == 200 and first.json()["termine"] is False, first.text
            if room:
                volume.make_room()
            again = confirm()
            after = confirm()
        assert again.status_code == 200, again.text
        assert again.json() == ({**first.json(), "termine": True, "reste": None} if room
                                else first.json())
        assert (after.status_code, after.json()) == (200, again.json())
        assert bool(_old_keks(hub)) is not room
    finally:
        hub.close()
