"""The stored form of a blocking key: an HMAC-SHA256 under the hub's digest key."""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa

from hub.store.matching_repository import Matching, key_digest

DIGEST_KEY = bytes(range(32))


def test_a_blocking_key_is_stored_as_its_hmac_under_the_digest_key_cut_to_128_bits():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        matching = Matching(conn, keys=None, digest_key=DIGEST_KEY)  # type: ignore[arg-type]
        for key in ("nom_annee:DP2:1980", "date:1988-04-12", "courriel:é@exemple.fr", ""):
            expected = hmac.new(DIGEST_KEY, key.encode(), hashlib.sha256).hexdigest()[:32]
            assert matching.digest(key) == expected == key_digest(DIGEST_KEY, key)
            assert matching.digest(key) == expected  # the keyed HMAC is not used up
