"""The worker's per-process memos (`Hub.common_keys`, `Hub.identities`) are shared by the
tasks of a worker started with `--pool threads`: threads updating them at once must not
break them. Before, two threads evicting the oldest entry together raised KeyError or
"dictionary changed size during iteration" in the middle of a batch."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hub.store.common_keys import CommonKeys
from hub.store.identity_memo import IdentityMemo

THREADS = 8
UPDATES = 20_000


@pytest.fixture
def eager_switches() -> Iterator[None]:
    """Threads switched as often as the interpreter can: every race window is met."""
    usual = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(usual)


def _errors_of_threads_updating(update: Callable[[int, int], None]) -> list[str]:
    together = threading.Barrier(THREADS)
    errors: list[str] = []

    def run(thread: int) -> None:
        together.wait()
        try:
            for n in range(UPDATES):
                update(thread, n)
        except BaseException as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_common_keys_learnt_by_threads_at_once_stay_whole(eager_switches):
    keys = CommonKeys(size=1)  # every reading evicts
    errors = _errors_of_threads_updating(
        lambda thread, n: keys.learn({f"{thread}-{n}": [1, 2]}, cap=1))
    assert errors == []
    assert len(keys._common) == 1


def test_identities_put_by_threads_at_once_stay_whole(eager_switches):
    memo = IdentityMemo(size=1)
    record: Any = object()
    errors = _errors_of_threads_updating(lambda thread, n: memo.put(f"{thread}-{n}", record))
    assert errors == []
    assert len(memo._opened) == 1
