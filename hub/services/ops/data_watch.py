"""The worker watches the folders it writes in: a data directory that turns read-only
while the worker runs stops the worker with a non-zero exit code, so a supervisor set to
restart on failure restarts it once the folder is fixed, instead of a worker that stays
up and can store nothing. A full disk (or a file-size limit) is said once and waited
out: the accepted fiches wait in the outbox and the worker processes them once there is
room, with no operator nor supervisor to start it again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from hub.config import Settings
from hub.errors import DataDirectoryFull, DataDirectoryReadOnly
from hub.services.ops.health import check_writable

log = logging.getLogger(__name__)


class DataWatch:
    """A daemon thread probing the written folders every `HUB_HEARTBEAT_INTERVAL_S`;
    calls `on_read_only` once, at the first probe refused for another reason than a
    full disk."""

    def __init__(self, settings: Settings, on_read_only: Callable[[], None]) -> None:
        self._settings, self._on_read_only = settings, on_read_only
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="data-watch", daemon=True)

    def start(self) -> DataWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        full = False
        while not self._stop.wait(self._settings.heartbeat_interval_s):
            try:
                check_writable(self._settings)
            except DataDirectoryFull as exc:
                if not full:
                    log.error("%s: %s The worker waits for room.", exc.code, exc)
                full = True
                continue
            except DataDirectoryReadOnly as exc:
                # the message names the folder only, never personal data
                log.error("%s: %s; the worker stops", exc.code, exc)
                self._on_read_only()
                return
            if full:
                log.warning("data directory: room again, the worker goes on")
            full = False
