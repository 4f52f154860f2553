"""Liveness and readiness of a hub process.

Liveness says the process answers. Readiness says it can do its work: the database
answers, carries the current migrations and no unfinished restore, the broker accepts connections, the key
files are readable, a field policy is loaded, and (embedded mode) the data directory
is writable. Each check names what failed, never a secret or a personal value.
A check that gets no answer within CHECK_TIMEOUT_S fails: a hung database or broker
makes the probe say so, instead of leaving it without an answer.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import errno
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from hub.bootstrap import Hub, utc_now
from hub.config import Settings
from hub.errors import (
    AuditIntegrityError,
    DataDirectoryFull,
    DataDirectoryReadOnly,
    HubError,
    SchedulerStopped,
    StoreUnavailable,
)
from hub.services.ops.heartbeat import kinds_alive
from hub.store.backup import unfinished_restore_in
from hub.store.engine import outage, reader_engine
from hub.store.migrate import migrations_current

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    error: HubError | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Readiness:
    checks: list[Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def error(self) -> HubError | None:
        """The hub's error of the first failed check that has one (a data directory
        refusing writes)."""
        return next((check.error for check in self.checks if check.error), None)

    def to_dict(self, *, details: bool = True) -> dict[str, object]:
        """The statuses, and with `details` what each check said (the operator's: a
        command to run, a folder's or a key file's name)."""
        return {"statut": "pret" if self.ready else "indisponible",
                "verifications": {c.name: {"ok": c.ok, **({"detail": c.detail}
                                                          if c.detail and details else {})}
                                  for c in self.checks}}


def readiness(hub: Hub, *, data_dir: bool = False, scheduler: bool = False) -> Readiness:
    """Every check within CHECK_TIMEOUT_S; the data directory's in embedded mode, or
    always with `data_dir` (`/healthz`); the scheduler's with `scheduler` (`/healthz`:
    not the load balancer's `/readyz`, the API takes fiches without it)."""
    checks: list[tuple[str, Callable[[Hub], str]]] = [
        ("base", _database), ("courtier", _broker), ("cles", _keys), ("politique", _policy),
    ]
    if data_dir or hub.settings.is_sqlite or hub.settings.embedded_broker:
        checks.append(("repertoire_donnees", _data_dir))
    if scheduler:
        checks += [("planificateur", _scheduler), ("journal_acces", _audit_log)]
    deadline = time.monotonic() + CHECK_TIMEOUT_S
    running = [(name, _probes.submit(_run, name, check, hub)) for name, check in checks]
    return Readiness([_within(name, future, deadline) for name, future in running])


def outage_of(exc: BaseException) -> StoreUnavailable | None:
    """The hub's error for a database outage met outside a unit of work (the consent
    registry reads the store directly): the API answers it 503, never 500."""
    return outage(exc)


CHECK_TIMEOUT_S = 3.0
# Checks run here, not in the request's thread: one stuck on a hung server is abandoned
# at the deadline (it ends when the server answers or its connection breaks).
_probes = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="readiness")


def _within(name: str, future: concurrent.futures.Future[Check], deadline: float) -> Check:
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except concurrent.futures.TimeoutError:
        future.cancel()  # not started yet (every probe thread stuck): never run it stale
        return Check(name, False, f"pas de réponse en {CHECK_TIMEOUT_S:g} s")


def _run(name: str, check: Callable[[Hub], str], hub: Hub) -> Check:
    try:
        problem = check(hub)
    except _Refused as exc:
        return Check(name, False, str(exc), exc.error)
    except _Noted as exc:
        return Check(name, True, str(exc))
    except Exception as exc:  # a readiness probe reports every failure, it never raises
        known = outage(exc)  # a damaged SQLite file, a full disk: said by their codes
        return Check(name, False, known.code if known else type(exc).__name__)
    return Check(name, not problem, problem)


def _database(hub: Hub) -> str:
    with reader_engine(hub.engine).connect() as conn:  # on SQLite, no turn among the writers
        conn.execute(sa.text("SELECT 1"))
        if unfinished_restore_in(conn) is not None:  # serving it would bring back the erased
            return "restauration inachevée : relancez `capactif restore DOSSIER`"
        if not migrations_current(conn):
            return "migrations en retard : lancez `capactif init`"
    return ""


def _broker(hub: Hub) -> str:
    if hub.settings.embedded_broker:
        return ""  # a folder: `repertoire_donnees` checks that it takes writes
    from kombu import Connection

    with Connection(hub.settings.broker_url.reveal(), connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return ""


def _keys(hub: Hub) -> str:
    key_dir = hub.settings.key_folder
    files = [path for path in key_dir.iterdir() if path.is_file()] if key_dir.is_dir() else []
    if not files:
        return "répertoire des clés absent ou vide"
    unreadable = [path.name for path in files if not os.access(path, os.R_OK)]
    if unreadable:
        return f"clés illisibles : {', '.join(sorted(unreadable))}"
    try:
        with hub.uow() as uow:
            generations = uow.keys.generations()
    except Exception as exc:  # the database's own check says why: not a key problem
        if outage(exc) is None and not isinstance(exc, StoreUnavailable):
            raise
        raise _Noted("fichiers de clés lisibles ; leurs générations ne sont pas comparées "
                     "à celles de la base, indisponible") from exc
    missing = [b for b, g in generations.items() if hub.keyring.kek(b, g) is None]
    if missing:
        return (f"{len(missing)} groupes de clés de la base absents du répertoire de clés : "
                "mauvais HUB_KEY_DIR, ou base restaurée sans `capactif restore`")
    return ""


def _policy(hub: Hub) -> str:
    return "" if hub.policy.current.version else "aucune politique chargée"


def _scheduler(hub: Hub) -> str:
    """A scheduler (the beat: outbox sweep, signed audit heads, consent expiry) that
    stopped beating, or workers beating without any: nothing restarts a beat that died
    inside a running worker. No process beating at all (none started yet,
    all stopped, or every row stale after a long database outage) is the workers' alert:
    a row left by a beat that was not withdrawn must not answer 503 with nothing running."""
    alive = kinds_alive(reader_engine(hub.engine), hub.settings, utc_now())
    if alive.get("beat") or not any(alive.values()):
        return ""
    detail = "le planificateur ne bat plus" if "beat" in alive else "aucun planificateur"
    raise _Refused(detail, SchedulerStopped(
        f"Le hub n'a plus de planificateur ({detail}) : relancez `capactif worker` (un seul, "
        "avec le planificateur) ; sans lui, rien ne balaie la file, n'expire les consentements "
        "ni ne signe le journal.",
        f"The hub has no scheduler any more ({'its beat stopped' if 'beat' in alive else 'none'}): "
        "restart `capactif worker` (one, with the scheduler); without it nothing sweeps the "
        "outbox, expires consents or signs the log."))


def _audit_log(hub: Hub) -> str:
    """The stored access log still gives its last signed head's root: else the hub signs
    no head and exports it with a warning (`capactif audit export`, then `audit verify`)."""
    if hub.audit.matches_signed_head():
        return ""
    raise _Refused("le journal d'accès ne correspond plus à sa dernière tête signée : "
                   "`capactif audit export` puis `capactif audit verify`", AuditIntegrityError(
        "Le journal d'accès stocké ne correspond plus à sa dernière tête signée : le hub n'en "
        "signe plus. Exportez-le (`capactif audit export`) et vérifiez l'export "
        "(`capactif audit verify`) pour trouver l'entrée fautive ; prévenez le DPO du réseau.",
        "The stored access log no longer matches its last signed head: the hub signs no more. "
        "Export it (`capactif audit export`) and verify the export (`capactif audit verify`) "
        "to find the bad entry; tell the network's DPO."))


class _Refused(Exception):
    """A check failed with the hub's error to answer (its text is the check's detail)."""

    def __init__(self, detail: str, error: HubError) -> None:
        super().__init__(detail)
        self.error = error


class _Noted(Exception):
    """A check passed with something to say (its text is the check's detail)."""


def _data_dir(hub: Hub) -> str:
    for folder in _written_folders(hub.settings):
        try:
            _probe(folder)
        except DataDirectoryReadOnly as exc:
            detail = f"{folder.name} non inscriptible ({type(exc.__cause__).__name__})"
            raise _Refused(detail, exc) from exc
    for folder in _set_aside_folders(hub.settings):
        try:
            _probe(folder)
        except DataDirectoryReadOnly as exc:
            raise _Noted(f"{folder.name} non inscriptible ({type(exc.__cause__).__name__})"
                         f"{_left_in_reading(hub.settings)}") from exc
    return ""


def _left_in_reading(settings: Settings) -> str:
    """How many messages stay in `reading/`: those `torn/` refused (unreadable), or one
    a worker was stopped while taking, until it is put back in the queue within two
    minutes (a count: their names are not logged)."""
    try:
        count = sum(1 for path in (settings.broker_dir / "reading").iterdir()
                    if path.name.endswith(".msg"))
    except OSError:
        return ""
    return f" ; {count} message(s) laissé(s) dans reading" if count else ""


def check_writable(settings: Settings) -> None:
    """Raise DataDirectoryReadOnly when a folder the hub writes in refuses a write (the
    worker's start-up and `/healthz`: nothing could be stored, queued or scheduled)."""
    for folder in _written_folders(settings):
        _probe(folder)


def writable_unless_full(settings: Settings) -> None:
    """`check_writable` at the API's start: a folder refusing writes is named (not the
    database behind it). A full disk is left to the store's own checks, as before."""
    with contextlib.suppress(DataDirectoryFull):
        check_writable(settings)


def writable_or_wait(settings: Settings) -> None:
    """`check_writable` at a worker's start, a full disk waited out (said once, probed
    every `HUB_HEARTBEAT_INTERVAL_S`): no supervisor is needed to start it again once
    there is room. A folder refusing writes for another reason still raises."""
    said = False
    while True:
        try:
            check_writable(settings)
            return
        except DataDirectoryFull as exc:
            if not said:
                log.error("%s: %s The worker waits for room.", exc.code, exc)
                said = True
        time.sleep(settings.heartbeat_interval_s)


def _written_folders(settings: Settings) -> list[Path]:
    """The data directory, and the embedded broker's queue folder and the folders its
    messages pass through (a read-only `reading/` lets no message be taken)."""
    broker = [settings.broker_dir / name for name in ("queue", "staging", "reading")]
    return [settings.data_dir] + (broker if settings.embedded_broker else [])


def _set_aside_folders(settings: Settings) -> list[Path]:
    """The embedded broker's `torn/`, probed by the readiness checks only: when it refuses
    an unreadable message, that message stays in `reading/` and the worker goes on (not a
    reason to stop it, nor to take the hub out of service), but readiness says so in the
    check's detail while staying ready."""
    return [settings.broker_dir / "torn"] if settings.embedded_broker else []


# A full disk, a quota, a file-size limit: waited out, unlike a folder refusing writes.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def refuse_read_only(settings: Settings, doing_fr: str, doing_en: str) -> None:
    """Raise DataDirectoryReadOnly (or DataDirectoryFull) before a command that writes in
    an embedded hub's data directory finds it refuses, saying what the command writes."""
    if not settings.is_sqlite:
        return
    try:
        _probe(settings.data_dir)
    except DataDirectoryReadOnly as exc:
        raise DataDirectoryReadOnly(
            f"{exc.message_fr} {doing_fr}", f"{exc.message_en} {doing_en}") from exc


def _probe(folder: Path) -> None:
    probe = folder / f".probe-{uuid.uuid4().hex}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with open(probe, "wb") as handle:
                handle.write(b"ok")
                handle.flush()
                os.fsync(handle.fileno())
        finally:  # a write refused (a full disk, probed every beat) leaves no file behind
            with contextlib.suppress(OSError):
                probe.unlink(missing_ok=True)
    except OSError as exc:
        if exc.errno in _FULL:
            raise DataDirectoryFull(
                f"Le hub ne peut plus écrire dans {folder} ({exc.strerror}) : libérez de la "
                "place ; le hub reprend de lui-même ensuite.",
                f"The hub cannot write in {folder} any more ({exc.strerror}): free some space; "
                "the hub resumes by itself then.",
            ) from exc
        raise DataDirectoryReadOnly(
            f"Le hub ne peut pas écrire dans {folder} ({exc.strerror}) : rendez ce dossier "
            "accessible en écriture (HUB_DATA_DIR) ou libérez de la place, puis relancez.",
            f"The hub cannot write in {folder} ({exc.strerror}): make this folder writable "
            "(HUB_DATA_DIR) or free some space, then restart.",
        ) from exc
