"""CPU time spent by the bench's processes, read from /proc (Linux): the API's and the
workers' process sessions (each started in its own session, children included) and the
PostgreSQL backends serving the bench's database.

A measurement reads the CPU of every thread twice (`*_threads`, before and after) and
adds what each thread ran between (`spent`), in nanoseconds (the threads'
/proc/PID/task/TID/schedstat). The totals of /proc/PID/stat count in clock ticks (10
ms): over a measurement of 750 fiches one tick is 0.013 ms a fiche, per process read,
so sides a few ticks apart printed the same figure to three decimals; and a process
alive at the first read and gone at the second took its whole life's CPU off the
difference of two totals."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import sqlalchemy as sa

_TICKS = os.sysconf("SC_CLK_TCK")

Threads = dict[tuple[int, int], float]  # (pid, tid): seconds of CPU that thread ran so far


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


def _threads_of(pids: Iterable[int]) -> Threads:
    """Each live thread's CPU so far, in nanoseconds (its schedstat's first field)."""
    threads: Threads = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                ran = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0]
            except (OSError, IndexError):
                continue
            threads[(pid, int(tid))] = int(ran) / 1e9
    return threads


def spent(before: Mapping[tuple[int, int], float], after: Mapping[tuple[int, int], float]
          ) -> float:
    """Seconds of CPU the threads ran between two readings: a thread born since counts
    whole, one gone since counts nothing of the interval (its last part is lost, never
    its past)."""
    return sum(seconds - before.get(thread, 0.0) for thread, seconds in after.items())


def _session_pids(session_ids: Iterable[int]) -> list[int]:
    wanted = set(session_ids)
    return [int(entry) for entry in os.listdir("/proc")
            if entry.isdigit() and (fields := _stat(int(entry))) and int(fields[3]) in wanted]


def session_threads(session_ids: Iterable[int]) -> Threads:
    """Every live thread of these sessions, its CPU so far (for `spent`)."""
    return _threads_of(_session_pids(session_ids))


def session_cpu(session_ids: Iterable[int]) -> float:
    """Seconds of CPU used so far by every live process of these sessions."""
    return sum(_cpu(fields) for pid in _session_pids(session_ids)
               if (fields := _stat(pid)))


def _backend_pids(engine: sa.Engine) -> list[int]:
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")).scalars())


def backend_threads(engine: sa.Engine) -> Threads:
    """The live PostgreSQL backends of `engine`'s database, each one's CPU so far (for
    `spent`; none on SQLite: the store runs inside the API and worker processes)."""
    return _threads_of(_backend_pids(engine))


def backend_cpu(engine: sa.Engine) -> float:
    """Seconds of CPU used so far by the live PostgreSQL backends of `engine`'s database
    (0 on SQLite: the store runs inside the API and worker processes)."""
    return sum(_cpu(fields) for pid in _backend_pids(engine) if (fields := _stat(pid)))
