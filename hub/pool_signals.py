"""A pool process of `capactif worker` leaves a SIGTERM it did not get from its main
process to the main process.

A stop of the worker's whole process group (a shell's or a supervisor's group stop,
systemd's KillMode=control-group) sends SIGTERM to every process at once. Celery's pool
processes die of it on the spot: their webhook senders never commit the outcomes of the
POSTs they made nor give their leases back, and the main process's warm stop waits for
ever on a job it had handed to a process that died before taking it. Here a pool process
waits for SIGTERM in a thread of its own (the signal blocked everywhere else) and reads
who sent it: from the main process (billiard's terminate, a cold stop) it dies of it as
before; from anyone else it carries on, and stops when the main process, which got the
same signal, closes the pool (after the task under way, its senders flushed).
"""

from __future__ import annotations

import logging
import os
import signal
import threading

log = logging.getLogger(__name__)


def leave_group_stops_to_the_main_process() -> None:
    """Called in each pool process as it starts, before it runs any task."""
    main_pid = os.getppid()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    # a process this one forks in Python (a matching pool) keeps SIGTERM's usual meaning;
    # a program it would start by exec (subprocess, no preexec_fn) would inherit the
    # blocked SIGTERM: none is started on the tasks' path (backups run from the command line)
    os.register_at_fork(after_in_child=_unblock)
    threading.Thread(target=_wait_for_sigterm, args=(main_pid,), daemon=True,
                     name="sigterm").start()


def _wait_for_sigterm(main_pid: int) -> None:
    while True:
        info = signal.sigwaitinfo({signal.SIGTERM})
        if info.si_pid == main_pid:
            _die_of_sigterm()
            return
        log.info("pool process %s: SIGTERM from process %s left to the main process",
                 os.getpid(), info.si_pid)


def _unblock() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _die_of_sigterm() -> None:
    """End as SIGTERM's default action would (the status billiard expects: its terminate,
    a cold stop or `revoke --terminate`). This runs in the waiting thread, where Python
    may not set a handler (only the main thread may, and it may be busy with a task): a
    pool process keeps SIGTERM's default (billiard resets it), so unblocking it here and
    sending it to this thread ends the process; were a handler set, the process exits
    with the status a shell gives a SIGTERM's end."""
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
    os._exit(128 + signal.SIGTERM)
