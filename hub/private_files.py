"""Files written for one person to read are closed to group and others (0600).

What `capactif dedup` writes (clusters, review pairs, rejected rows: the member's row ids
of people), an audit export and the audit archive's segments (who accessed which
pseudonymous porteur, when) hold personal data. Written with the operator's umask (022
in an ordinary shell) they were readable by every local account: they are created 0600
whatever the umask, and a file found at the path is closed too before it is written.
The matching model (`--model-out`) is not among them: it holds weights and the
frequencies of names met at least three times, and the hub's service reads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

PRIVATE_MODE = 0o600


def open_private(path: str | Path, *, newline: str | None = None) -> IO[str]:
    """`path` opened for writing text (UTF-8, truncated), 0600 before anything is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)  # O_CREAT's mode applies to a new file only
        return os.fdopen(fd, "w", encoding="utf-8", newline=newline)
    except BaseException:
        os.close(fd)
        raise
