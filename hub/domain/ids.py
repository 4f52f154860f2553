"""The range of the hub's ids and cursors: 64-bit signed integers in both databases."""

from __future__ import annotations

MAX_INT64 = 2**63 - 1
