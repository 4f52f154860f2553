"""Dependencies are declared where they are used: every library the product imports is
a dependency of the package; what only the demo, the simulators or the tests import is
in the `demo` or `dev` extra; and the lock file pins every declared version."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
OWN = {"hub", "connectors", "consent", "schemas", "capactif_demo", "tests", "worker", "bench"}
DEMO_CODE = ("capactif_demo/", "capactif_demo/sim/")


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>~! ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared(requirements: list[str]) -> set[str]:
    return {_name(r) for r in requirements}


@functools.cache
def _imported(paths: tuple[Path, ...]) -> dict[str, set[str]]:
    """Distribution -> the files that import it, for third-party imports of `paths`."""
    owners = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            for top in {n.split(".")[0] for n in names}:
                if top in OWN or top in sys.stdlib_module_names:
                    continue
                for dist in owners.get(top, [top]):
                    found.setdefault(dist.lower().replace("_", "-"), set()).add(
                        str(path.relative_to(ROOT)))
    return found


def _product_files() -> tuple[Path, ...]:
    return (*(p for package in ("hub", "connectors", "consent", "schemas")
              for p in sorted((ROOT / package).rglob("*.py")) if "migrations" not in p.parts),
            ROOT / "worker.py")


def test_every_library_the_product_imports_is_declared():
    core = _declared(PROJECT["dependencies"])
    demo = _declared(PROJECT["optional-dependencies"]["demo"])
    missing = {}
    for dist, files in _imported(_product_files()).items():
        allowed = core | demo if all(f.startswith(DEMO_CODE) for f in files) else core
        if dist not in allowed:
            missing[dist] = sorted(files)[:3]
    assert missing == {}


def test_the_product_s_dependencies_are_all_used_by_the_product():
    used = set(_imported(_product_files()))
    # psycopg, loaded by SQLAlchemy from a postgresql+psycopg:// URL, is imported by
    # hub.store.deadlines too (its connections' client-side deadline).
    assert _declared(PROJECT["dependencies"]) - used == set()


def test_the_lock_pins_every_declared_version():
    lock = (ROOT / "requirements-dev.lock").read_text(encoding="utf-8")
    pinned = dict(re.findall(r"^([A-Za-z0-9_.\[\]-]+)==(\S+)", lock, re.MULTILINE))
    pinned = {_name(k): v for k, v in pinned.items()}
    declared = PROJECT["dependencies"] + [r for extra in PROJECT["optional-dependencies"].values()
                                          for r in extra if "==" in r]
    assert {_name(r): r.split("==")[1].split()[0] for r in declared if "==" in r}.items() <= pinned.items()
    assert "--hash=sha256:" in lock
