"""The examples in the code's docstrings run, and show what they say."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("hub", "consent", "connectors", "schemas")


def _modules_with_examples() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and ">>> " in path.read_text(encoding="utf-8"):
                parts = path.relative_to(ROOT).with_suffix("").parts
                names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules_with_examples()


def test_the_examples_are_found_in_the_packages():
    assert len(MODULES) >= 17, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_a_module_run_and_none_is_skipped(name):
    module = importlib.import_module(name)
    assert "doctest: +SKIP" not in Path(module.__file__).read_text(encoding="utf-8")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) of {name} fail (see the output above)"
