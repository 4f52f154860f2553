"""The data directory is the hub's own: closed to group and others.

It holds the SQLite store and its WAL (consent records, the access log, porteur ids and
keyed digests in clear beside the sealed fiches), the embedded broker's messages and the
members' credentials. Whoever starts the hub, under whatever umask (the systemd units set
UMask=0077; a hand-started `capactif serve` or `make demo` usually runs under 022), the
directory is closed to group and others at start (its owner's bits kept: a folder made
read-only stays so), so nothing in it is reachable by another local account.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

_log = logging.getLogger("hub")


def prepare_data_dir(data_dir: Path) -> Path:
    """Create the data directory 0700, or close one found open to group or others."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if mode & 0o077:
        try:
            os.chmod(data_dir, mode & ~0o077)  # its owner's bits (and setgid, sticky) kept
        except OSError:  # not its owner, or a read-only mount: say so, the operator decides
            _log.warning("HUB_DATA_DIR (%s) is open to group or others (%o) and the hub "
                         "cannot close it: run 'chmod 700 %s'.", data_dir, mode, data_dir)
        else:
            _log.warning("HUB_DATA_DIR (%s) was open to group or others (%o): now %o.",
                         data_dir, mode, mode & ~0o077)
    return data_dir

