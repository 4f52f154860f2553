"""The key directory: separate from the data directory, readable by the hub's user only.

A copy of the data directory (database file, WAL, broker, backups of it) must never carry
the keys that open it. The default key directory is a sibling of the data directory
(`var` -> `var-keys`); the former layout (`$HUB_DATA_DIR/keys`) is moved out at start.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from hub.errors import ConfigurationError, KeyDirectoryFull, KeyDirectoryReadOnly

_LEGACY = "keys"
_PUBLIC_SUFFIX = ".pub.pem"
_log = logging.getLogger("hub")


def prepare_key_dir(data_dir: Path, key_dir: Path) -> Path:
    """Create or adopt the key directory and refuse to start on loose permissions."""
    _move_legacy_layout(data_dir, key_dir)
    if not key_dir.exists():
        key_dir.mkdir(mode=0o700, parents=True)
    if _inside(key_dir, data_dir):
        _log.warning("HUB_KEY_DIR (%s) is inside HUB_DATA_DIR: a copy of the data directory "
                     "would carry the keys that open it.", key_dir)
    check_permissions(key_dir)
    return key_dir


def check_permissions(key_dir: Path) -> None:
    """The directory and every secret in it are closed to group and others."""
    loose = [path for path in [key_dir, *sorted(key_dir.iterdir())]
             if not path.name.endswith(_PUBLIC_SUFFIX)
             and stat.S_IMODE(path.stat().st_mode) & 0o077]
    if loose:
        names = ", ".join(str(path) for path in loose)
        raise ConfigurationError(
            f"Le répertoire de clés ou des clés sont lisibles par le groupe ou les autres : "
            f"{names}. Corrigez avec « chmod 700 {key_dir} && chmod 600 {key_dir}/* ».",
            f"The key directory or keys are readable by group or others: {names}. "
            f"Fix with 'chmod 700 {key_dir} && chmod 600 {key_dir}/*'.")


# A full disk, a quota, a file-size limit: the same request succeeds once there is room.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextlib.contextmanager
def writing_keys(key_dir: Path) -> Iterator[None]:
    """Around a write in the key directory (recovery journal, KEK file, signing keys,
    secrets): a write the system refuses is a 503 in the error envelope, logged naming
    the directory, never an unexpected error. The answer does not name the directory
    (a member has no business knowing the hub's paths); the log does, for the operator.
    Each writer leaves nothing half written: the same request succeeds once fixed."""
    try:
        yield
    except FileExistsError:
        raise  # a writer's race, answered by the writer
    except OSError as exc:
        full = exc.errno in _FULL
        _log.error("%s: the key directory %s refuses a write (%s)",
                   "key_directory_full" if full else "key_directory_read_only", key_dir,
                   exc.strerror or type(exc).__name__)
        if full:
            raise KeyDirectoryFull(
                "Le volume du répertoire de clés du hub est plein : rien n'a été modifié ; "
                "réessayez plus tard.",
                "The volume of the hub's key directory is full: nothing was changed; "
                "try again later.") from exc
        raise KeyDirectoryReadOnly(
            "Le hub ne peut pas écrire dans son répertoire de clés : rien n'a été modifié ; "
            "l'exploitant doit le rendre accessible en écriture (HUB_KEY_DIR).",
            "The hub cannot write in its key directory: nothing was changed; the operator "
            "has to make it writable (HUB_KEY_DIR).") from exc


def _move_legacy_layout(data_dir: Path, key_dir: Path) -> None:
    legacy = data_dir / _LEGACY
    if not legacy.is_dir() or legacy.resolve() == key_dir.resolve():
        return
    if key_dir.exists() and any(key_dir.iterdir()):
        raise ConfigurationError(
            f"Deux répertoires de clés existent : {legacy} (ancien emplacement, dans le "
            f"répertoire de données) et {key_dir}. Gardez le bon dans {key_dir} et "
            f"supprimez l'autre.",
            f"Two key directories exist: {legacy} (former place, inside the data directory) "
            f"and {key_dir}. Keep the right one in {key_dir} and remove the other.")
    key_dir.parent.mkdir(parents=True, exist_ok=True)
    if key_dir.exists():
        key_dir.rmdir()
    os.replace(legacy, key_dir)  # same file system: the usual case for a sibling
    os.chmod(key_dir, 0o700)
    _log.warning("Keys moved out of the data directory: %s -> %s", legacy, key_dir)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
