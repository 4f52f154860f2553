"""The tests' one way of waiting for a condition: poll it, and fail naming what never came."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from capactif_demo.processes import poll

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.2) -> T:
    """The first truthy answer of `predicate`; fails the test after `timeout` seconds."""
    found = poll(predicate, timeout, interval)
    if not found:
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
    return found
