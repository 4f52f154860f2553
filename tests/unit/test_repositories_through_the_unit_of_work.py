"""Services reach every repository through the unit of work (`uow.users`, ...), never by
building one from the unit of work's connection."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "hub" / "services"
# The access log appends inside the caller's transaction, and the consent registry (the
# consent package's one interface, not a repository of the store) writes a consent's state
# and the notices it entails there (`write_state`: its withdraw or expire, `within=`), so
# that a process killed after the commit leaves neither without the other; a restore puts
# a narrowed consent back there with the fiche's consent in force (`put_back_within`).
ALLOWED_CALLS = {"append_within", "notices_sent_within", "put_back_within", "write_state"}


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "?")


def _is_uow_connection(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "connection" and \
        isinstance(node.value, ast.Name) and node.value.id == "uow"


def _connection_handed_out(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and _called_name(node) not in ALLOWED_CALLS:
            arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
            found += [f"{path.name}:{node.lineno} {_called_name(node)}(uow.connection)"
                      for argument in arguments if _is_uow_connection(argument)]
    return found


def test_no_service_builds_a_repository_from_the_unit_of_works_connection():
    modules = sorted(SERVICES.rglob("*.py"))
    assert len(modules) > 20  # the services are where this test looks
    assert [line for path in modules for line in _connection_handed_out(path)] == []
