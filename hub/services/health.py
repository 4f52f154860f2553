"""Is this process able to do its work? A minimal readiness check shared by the worker's
start-up and `/healthz`: the data directory (and the embedded broker's queue) must
accept a durable write, or nothing could be stored, queued or scheduled."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from hub.config import Settings
from hub.errors import DataDirectoryReadOnly


def check_writable(settings: Settings) -> None:
    """Raise DataDirectoryReadOnly when a folder the hub writes in refuses a write."""
    folders = [settings.data_dir]
    if settings.embedded_broker:
        folders.append(settings.broker_dir / "queue")
    for folder in folders:
        _probe(folder)


def _probe(folder: Path) -> None:
    probe = folder / f".probe-{uuid.uuid4().hex}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
    except OSError as exc:
        raise DataDirectoryReadOnly(
            f"Le hub ne peut pas écrire dans {folder} ({exc.strerror}) : rendez ce dossier "
            "accessible en écriture (HUB_DATA_DIR) ou libérez de la place, puis relancez.",
            f"The hub cannot write in {folder} ({exc.strerror}): make this folder writable "
            "(HUB_DATA_DIR) or free some space, then restart.",
        ) from exc
