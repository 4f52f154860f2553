"""Liveness and readiness of a hub process.

Liveness says the process answers. Readiness says it can do its work: the database
answers and carries the current migrations, the broker accepts connections, the key
files are readable, a field policy is loaded, and (embedded mode) the data directory
is writable. Each check names what failed, never a secret or a personal value.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.store.migrate import migrations_current


@dataclasses.dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class Readiness:
    checks: list[Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, object]:
        return {"statut": "pret" if self.ready else "indisponible",
                "verifications": {c.name: {"ok": c.ok, **({"detail": c.detail} if c.detail else {})}
                                  for c in self.checks}}


def readiness(hub: Hub) -> Readiness:
    checks: list[tuple[str, Callable[[Hub], str]]] = [
        ("base", _database), ("courtier", _broker), ("cles", _keys), ("politique", _policy),
    ]
    if hub.settings.is_sqlite or hub.settings.embedded_broker:
        checks.append(("repertoire_donnees", _data_dir))
    return Readiness([_run(name, check, hub) for name, check in checks])


def _run(name: str, check: Callable[[Hub], str], hub: Hub) -> Check:
    try:
        problem = check(hub)
    except Exception as exc:  # a readiness probe reports every failure, it never raises
        return Check(name, False, type(exc).__name__)
    return Check(name, not problem, problem)


def _database(hub: Hub) -> str:
    with hub.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        if not migrations_current(conn):
            return "migrations en retard : lancez `capactif init`"
    return ""


def _broker(hub: Hub) -> str:
    if hub.settings.embedded_broker:
        return _writable(hub.settings.broker_dir / "queue")
    from kombu import Connection

    with Connection(hub.settings.broker_url, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return ""


def _keys(hub: Hub) -> str:
    key_dir = hub.settings.key_dir
    files = [path for path in key_dir.iterdir() if path.is_file()] if key_dir.is_dir() else []
    if not files:
        return "répertoire des clés absent ou vide"
    unreadable = [path.name for path in files if not os.access(path, os.R_OK)]
    if unreadable:
        return f"clés illisibles : {', '.join(sorted(unreadable))}"
    with hub.uow() as uow:
        generations = uow.keys.generations()
    missing = [b for b, g in generations.items() if hub.keyring.kek(b, g) is None]
    if missing:
        return (f"{len(missing)} groupes de clés de la base absents du répertoire de clés : "
                "mauvais HUB_KEY_DIR, ou base restaurée sans `capactif restore`")
    return ""


def _policy(hub: Hub) -> str:
    return "" if hub.policy.current.version else "aucune politique chargée"


def _data_dir(hub: Hub) -> str:
    return _writable(hub.settings.data_dir)


def _writable(folder: Path) -> str:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ready-"):
            pass
    except OSError as exc:
        return f"{folder.name} non inscriptible ({exc.strerror})"
    return ""
