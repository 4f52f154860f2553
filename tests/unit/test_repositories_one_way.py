"""Every repository is reached one way: as an attribute of the unit of work, bound to
its transaction. No code outside the store builds a repository from a connection of
its own (it would escape the transaction and the error translation)."""

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import hub
import hub.store

HUB = Path(hub.__file__).parent
# Runs in the worker's parent process, which builds no Hub (so no keys, no unit of
# work) and must not keep a connection across forks: its own unpooled engine.
BUILDS_ITS_OWN = {"hub/services/ops/heartbeat.py": {"OpsQueries"}}


def _repository_classes() -> set[str]:
    """Classes of hub.store whose constructor takes a connection first."""
    found = set()
    for info in pkgutil.iter_modules(hub.store.__path__, "hub.store."):
        if info.name.startswith("hub.store.migrations"):
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or name.startswith("_"):
                continue
            params = list(inspect.signature(cls.__init__).parameters.values())[1:]
            if params and "Connection" in str(params[0].annotation):
                found.add(name)
    return found


def _called_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names


def test_the_unit_of_work_holds_every_repository():
    uow = ast.parse((HUB / "store" / "uow.py").read_text())
    enter = next(n for n in ast.walk(uow) if isinstance(n, ast.FunctionDef) and n.name == "__enter__")
    repositories = _repository_classes()
    assert {"Fiches", "Deliveries", "Users", "Sessions", "OpsQueries"} <= repositories
    assert sorted(repositories - _called_names(enter)) == []


def test_no_code_outside_the_store_builds_a_repository_from_a_connection():
    repositories = _repository_classes()
    offenders = []
    for path in sorted(HUB.rglob("*.py")):
        relative = path.relative_to(HUB.parent).as_posix()
        if relative.startswith("hub/store/"):
            continue
        built = _called_names(ast.parse(path.read_text())) & repositories
        offenders += [f"{relative}: {name}" for name in sorted(built - BUILDS_ITS_OWN.get(relative, set()))]
    assert offenders == []
