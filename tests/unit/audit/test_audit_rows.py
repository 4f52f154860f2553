"""The append hot path encodes an event exactly as the canonical form the verifier hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hub.audit.events import AccessEvent, pseudonymise
from hub.audit.merkle import leaf_hash
from hub.audit.rows import numbered, prepare

KEY = b"k" * 32
_names = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)


@given(
    micros=st.integers(0, 10**12), member=_names, user=st.none() | _names,
    porteur=st.none() | st.text(max_size=8), fiches=st.lists(st.text(max_size=5), max_size=3),
    fields=st.lists(st.from_regex(r"[a-z][a-z._\[\]]{0,15}", fullmatch=True), max_size=4),
    purpose=st.none() | _names, seq=st.integers(0, 10**9),
    salt=st.none() | st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
)
def test_the_prepared_leaf_is_the_hash_of_the_canonical_event(
    micros, member, user, porteur, fiches, fields, purpose, seq, salt
) -> None:
    event = AccessEvent(
        at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros), actor_member=member,
        action="feed_pull", outcome="allowed", actor_user=user,
        porteur_ref=None if porteur is None else pseudonymise(porteur, KEY),
        fiche_refs=tuple(pseudonymise(f, KEY) for f in fiches), fields=tuple(fields),
        purpose=purpose, policy_version="2026.1", request_id=None, salt=salt,
    )
    for dialect in ("sqlite", "postgresql"):
        leaf, values = numbered(prepare(event, dialect), seq)
        assert leaf == leaf_hash(event.with_seq(seq).canonical())
        assert values[0] == seq and values[-1] == leaf
