"""CPU time spent by the bench's processes, read from /proc (Linux): the API's and the
workers' process sessions (each started in its own session, children included) and the
PostgreSQL backends serving the bench's database."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields after the command name


def _cpu(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def process_cpu(pid: int) -> float:
    """Seconds of CPU used so far by one process (0 once it has ended)."""
    fields = _stat(pid)
    return _cpu(fields) if fields else 0.0


def session_cpu(session_ids: Iterable[int]) -> float:
    """Seconds of CPU used so far by every live process of these sessions."""
    wanted, total = set(session_ids), 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) and int(fields[3]) in wanted:
            total += _cpu(fields)
    return total


def backend_cpu(engine: sa.Engine) -> float:
    """Seconds of CPU used so far by the live PostgreSQL backends of `engine`'s database
    (0 on SQLite: the store runs inside the API and worker processes)."""
    if engine.dialect.name != "postgresql":
        return 0.0
    with engine.connect() as conn:
        pids = conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")).scalars().all()
    return sum(_cpu(fields) for pid in pids if (fields := _stat(pid)))
