"""Access events: one line of the audit log, and its canonical encoding (the Merkle leaf data).

An event says who did what, to which pseudonymous porteur and fiches, which field
*names* were disclosed, why, under which policy version, and how it ended. It never
holds a personal value: porteur and fiche references are HMAC-SHA256 pseudonyms
(`pseudonymise`), field names are checked to be names, not values.

Pure standard library: the offline verifier imports this module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The actions the hub logs (documentation and a shared vocabulary for callers).
ACTIONS = frozenset(
    {
        "api_read", "porteur_view", "feed_pull", "webhook_delivery", "webhook_attempt", "export", "search",
        "console_view", "merge", "unmerge", "consent_change", "erasure", "login",
        "audit_view", "audit_export", "fiche_push", "review_decision", "audit_archive",
        "audit_alert", "account_create", "account_role", "account_password",
        "account_disable", "account_enable", "account_unlock",
        "referent_proposal", "referent_answer", "meeting_parrain", "meeting_a_voir",
        "meeting_item_seen", "review_reopen", "audit_alert_ack", "member_leave",
        "member_readmit", "erasure_request", "erasure_request_confirm",
        "erasure_request_decline", "erasure_request_received",
    }
)
OUTCOMES = frozenset({"allowed", "denied", "error"})

_SLUG = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
_PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_$][A-Za-z0-9_.$\[\]*-]{0,99}$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_MIN_KEY_BYTES = 16
_SALT = re.compile(r"^[0-9a-f]{32}$")


def pseudonymise(value: str, key: bytes) -> str:
    """A stable pseudonym for `value` under `key`: HMAC-SHA256, hexadecimal.

    Examples:
        >>> pseudonymise("P-42", b"k" * 32) == pseudonymise("P-42", b"k" * 32)
        True
    """
    if len(key) < _MIN_KEY_BYTES:
        raise ValueError("the pseudonymisation key must hold at least 16 bytes")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def canonical_json(document: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the one encoding hashed into the tree."""
    return _CANONICAL.encode(document).encode("utf-8")


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def format_time(moment: datetime) -> str:
    """UTC, microseconds, `Z` suffix: e.g. 2026-11-26T10:00:00.000000Z."""
    text = moment.astimezone(UTC).isoformat(timespec="microseconds")
    return text.removesuffix("+00:00") + "Z"


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


@dataclass(frozen=True)
class AccessEvent:
    """One access or sensitive action. `seq` is given by the log on append (leaf index)."""

    at: datetime
    actor_member: str
    action: str
    outcome: str
    actor_user: str | None = None
    porteur_ref: str | None = None
    fiche_refs: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    purpose: str | None = None
    policy_version: str | None = None
    request_id: str | None = None
    # 128 random bits in the leaf, so that a leaf hash handed out in a proof (a
    # neighbour's sibling) cannot be recomputed from a guess of the entry's content;
    # read with the entry, by those allowed to read it. Entries appended before it have none.
    salt: str | None = None
    seq: int | None = field(default=None)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("an access event's time must be timezone-aware (UTC)")
        object.__setattr__(self, "at", self.at.astimezone(UTC))
        object.__setattr__(self, "fiche_refs", tuple(self.fiche_refs))
        object.__setattr__(self, "fields", tuple(self.fields))
        _check_event(self)

    def with_seq(self, seq: int) -> AccessEvent:
        """This event numbered `seq` (already validated: copied without re-checking)."""
        if not isinstance(seq, int) or seq < 0:
            raise ValueError("access event attribute 'seq' is not in the expected form")
        numbered = object.__new__(AccessEvent)
        numbered.__dict__.update(self.__dict__, seq=seq)
        return numbered

    def salted(self) -> AccessEvent:
        """This event with a fresh salt (the log's append gives each entry its own)."""
        if self.salt is not None:
            return self
        fresh = object.__new__(AccessEvent)
        fresh.__dict__.update(self.__dict__, salt=secrets.token_hex(16))
        return fresh

    def to_dict(self) -> dict[str, Any]:
        """The event's document; `salt` only when it has one (an older entry's leaf is
        the hash of the document without it)."""
        document = {
            "seq": self.seq,
            "at": format_time(self.at),
            "actor_member": self.actor_member,
            "actor_user": self.actor_user,
            "action": self.action,
            "porteur_ref": self.porteur_ref,
            "fiche_refs": list(self.fiche_refs),
            "fields": list(self.fields),
            "purpose": self.purpose,
            "policy_version": self.policy_version,
            "outcome": self.outcome,
            "request_id": self.request_id,
        }
        if self.salt is not None:
            document["salt"] = self.salt
        return document

    def canonical(self) -> bytes:
        """The Merkle leaf data of this event (seq included, so order is committed)."""
        if self.seq is None:
            raise ValueError("an event is hashed only once the log has given it a seq")
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> AccessEvent:
        if not _KEYS - {"salt"} <= set(document) <= _KEYS:
            raise ValueError("an access event has exactly the documented keys (salt optional)")
        values = dict(document)
        values["at"] = parse_time(document["at"])
        return cls(**values)


_KEYS = frozenset(f.name for f in dataclasses.fields(AccessEvent))


def _check_event(event: AccessEvent) -> None:
    _require(event.seq is None or (isinstance(event.seq, int) and event.seq >= 0), "seq")
    _require(bool(_IDENTIFIER.match(event.actor_member)), "actor_member")
    _require(event.actor_user is None or bool(_IDENTIFIER.match(event.actor_user)), "actor_user")
    _require(bool(_SLUG.match(event.action)), "action")
    _require(event.outcome in OUTCOMES, "outcome")
    _require(event.porteur_ref is None or bool(_PSEUDONYM.match(event.porteur_ref)), "porteur_ref")
    _require(all(_PSEUDONYM.match(ref) for ref in event.fiche_refs), "fiche_refs")
    _require(all(_FIELD_NAME.match(name) for name in event.fields), "fields")
    _require(event.purpose is None or bool(_SLUG.match(event.purpose)), "purpose")
    _require(
        event.policy_version is None or bool(_IDENTIFIER.match(event.policy_version)),
        "policy_version",
    )
    _require(event.request_id is None or bool(_IDENTIFIER.match(event.request_id)), "request_id")
    _require(event.salt is None or (isinstance(event.salt, str) and bool(_SALT.match(event.salt))),
             "salt")


def _require(condition: bool, name: str) -> None:
    # The message names the attribute only: the rejected value may be personal data.
    if not condition:
        raise ValueError(f"access event attribute {name!r} is not in the expected form")
