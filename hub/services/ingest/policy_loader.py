"""Read a field-policy file, check it, and swap it in only when it is sound.

The file is validated against `schemas/policy.v1.json`, then by the domain loader
against the fiche schema (roles, purposes, categories, paths). Every error names the
file and the JSON path at fault. `PolicyHolder.reload` keeps the running policy when
the new file is refused. A holder given its file watches it: every process (API,
workers) picks up an edited policy within `HUB_POLICY_RELOAD_S`, and a refused file
leaves the running policy in place, with the reason logged (file and JSON path only).

Example:
    >>> import tempfile
    >>> holder = PolicyHolder(load_policy_file(DEFAULT_POLICY_FILE))
    >>> running = holder.current
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     broken = Path(folder) / "policy.json"
    ...     _ = broken.write_text('{"version": ', encoding="utf-8")
    ...     holder.reload(broken)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    hub.errors.InvalidPolicy: Policy file ...: invalid JSON at line 1, column 13
    >>> holder.current is running
    True
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import schemas
from hub.domain.policy import Policy, load_policy
from hub.errors import InvalidPolicy

DEFAULT_POLICY_FILE = Path(__file__).resolve().parents[3] / "examples" / "policy.json"
_log = logging.getLogger(__name__)


def load_policy_file(path: Path, fiche_schema: Mapping[str, Any] | None = None) -> Policy:
    """The policy in `path`, checked against its schema and the fiche schema."""
    document = _read(path)
    errors = schemas.validator("policy").errors(document)
    if errors:
        details_fr, details_en = schemas.summary(errors)
        raise InvalidPolicy(
            f"Fichier de politique {path} non conforme : {details_fr}",
            f"Policy file {path} does not match its schema: {details_en}",
        )
    try:
        return load_policy(document, fiche_schema or schemas.load_schema("fiche"))
    except InvalidPolicy as exc:
        raise InvalidPolicy(f"{path} : {exc.message_fr}", f"{path}: {exc.message_en}") from exc


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidPolicy(
            f"Fichier de politique {path} : JSON invalide ligne {exc.lineno}, colonne {exc.colno}"
            f" ({exc.msg}).",
            f"Policy file {path}: invalid JSON at line {exc.lineno}, column {exc.colno}"
            f" ({exc.msg}).",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidPolicy(
            f"Fichier de politique illisible ({path}) : {exc}.",
            f"Unreadable policy file ({path}): {exc}.",
        ) from exc
    except RecursionError as exc:  # nested past the parser
        raise InvalidPolicy(
            f"Fichier de politique illisible ({path}) : JSON imbriqué trop profondément.",
            f"Unreadable policy file ({path}): JSON nested too deeply.",
        ) from exc


class PolicyHolder:
    """The running policy; replaced only by a policy that loaded without error.

    Given `path`, it looks at the file's modification stamp at most every
    `check_every_s` seconds when asked for the current policy, and reloads it when it
    changed."""

    def __init__(self, policy: Policy, path: Path | None = None, check_every_s: float = 5.0,
                 clock: Any = time.monotonic) -> None:
        self._policy = policy
        self._lock = threading.Lock()
        self._path, self._every, self._clock = path, check_every_s, clock
        self._stamp = _stamp(path) if path else None
        self._next_check = clock() + check_every_s

    @property
    def current(self) -> Policy:
        if self._path is not None and self._clock() >= self._next_check:
            self._check_file(self._path)
        return self._policy

    def reload(self, path: Path, fiche_schema: Mapping[str, Any] | None = None) -> Policy:
        """Load `path` and make it current; on InvalidPolicy the running policy stays."""
        candidate = load_policy_file(path, fiche_schema)
        with self._lock:
            self._policy = candidate
        return candidate

    def _check_file(self, path: Path) -> None:
        with self._lock:
            self._next_check = self._clock() + self._every
            stamp = _stamp(path)
            if stamp == self._stamp:
                return
            self._stamp = stamp
        try:
            policy = self.reload(path)
        except InvalidPolicy as exc:
            _log.error("policy file refused, policy %s stays in force: %s",
                       self._policy.version, exc.message_en)
            return
        except Exception as exc:  # a fault the checks did not foresee: refused all the same,
            # not raised into the request that happened to look (a 500 on every change)
            _log.error("policy file refused, policy %s stays in force: %s",
                       self._policy.version, type(exc).__name__)
            return
        _log.warning("policy %s now in force (from %s)", policy.version, path)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size
