"""Every error code the hub can answer is in docs/protocol.md's table of error codes, with
its HTTP status, and the table names no code the hub does not have."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from hub import errors
from hub.api.errors import OTHER_HTTP_ERROR
from hub.api.openapi import ERRORS

ROOT = Path(__file__).resolve().parents[2]
_ROW = re.compile(r"^\| `([a-z0-9_<>]+)` \| ([^|]+) \|", re.M)


def _tree(cls: type[errors.HubError]) -> Iterator[type[errors.HubError]]:
    yield cls
    for subclass in cls.__subclasses__():
        yield from _tree(subclass)


def _answered() -> dict[str, str]:
    """Each code the hub answers, and its status: the exception tree's, and the framework's
    other refusals (`http_<status>`)."""
    codes = {cls.code: str(cls.status) for cls in _tree(errors.HubError)}
    codes[OTHER_HTTP_ERROR.format(status="<status>")] = "the status"
    return codes


def _section() -> str:
    text = (ROOT / "docs" / "protocol.md").read_text()
    return text.split("\n## Error codes\n", 1)[1].split("\n## ", 1)[0]


def _table() -> list[tuple[str, str]]:
    return [(code, status.strip()) for code, status in _ROW.findall(_section())]


def test_no_two_errors_share_a_code():
    classes = list(_tree(errors.HubError))
    assert len({cls.code for cls in classes}) == len(classes)


def test_the_table_names_every_code_the_hub_answers_once_with_its_status():
    table = _table()
    assert sorted(code for code, _status in table) == sorted(set(code for code, _ in table))
    assert dict(table) == _answered()


def test_every_error_envelope_is_built_from_the_exception_tree():
    """An answer's code set anywhere else would escape the table: every `{"error": …}`
    the hub writes holds a HubError's `to_dict()`, or the framework's other refusals."""
    built = [(path.relative_to(ROOT), line.strip())
             for path in sorted((ROOT / "hub").rglob("*.py"))
             for line in path.read_text().splitlines() if '({"error":' in line]
    assert built
    assert [(p, line) for p, line in built if "OTHER_HTTP_ERROR" not in line
            and ("to_dict()" not in line or '"code":' in line)] == []


def test_the_table_says_which_codes_no_api_route_answers():
    """Console pages and operator commands have codes of their own: the table says so
    (routes « none »), as the class does (`answered_by_api`)."""
    unanswered = set(re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| none \(", _section(), re.M))
    assert unanswered == {cls.code for cls in _tree(errors.HubError) if not cls.answered_by_api}


def test_the_openapi_description_of_each_error_status_names_its_codes():
    missing = [(cls.status, cls.code) for cls in _tree(errors.HubError)
               if cls.answered_by_api and cls.status in ERRORS
               and f"`{cls.code}`" not in ERRORS[cls.status]]
    assert missing == []
