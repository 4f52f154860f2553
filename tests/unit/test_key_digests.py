"""The stored form of a blocking key: an HMAC-SHA256 under the hub's digest key."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import sqlalchemy as sa

from hub.store.matching_repository import Matching, key_digest, key_number

DIGEST_KEY = bytes(range(32))


def test_a_blocking_key_s_digest_is_its_hmac_under_the_digest_key_cut_to_128_bits():
    for key in ("nom_annee:DP2:1980", "date:1988-04-12", "courriel:é@exemple.fr", ""):
        expected = hmac.new(DIGEST_KEY, key.encode(), hashlib.sha256).hexdigest()[:32]
        assert key_digest(DIGEST_KEY, key) == expected


@pytest.mark.parametrize("digest_key", [DIGEST_KEY, b"", b"k" * 64, bytes(range(65)),
                                        bytes(range(200))],
                         ids=["32 bytes", "empty", "a block", "a block and one", "200 bytes"])
def test_a_blocking_key_is_stored_as_the_first_64_bits_of_its_hmac_signed(digest_key):
    """`Matching.digest` gives the number the index stores and locks (`key_number` of the
    HMAC's hex digest), for digest keys shorter and longer than SHA-256's block."""
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        matching = Matching(conn, keys=None, digest_key=digest_key)  # type: ignore[arg-type]
        for key in ("nom_annee:DP2:1980", "date:1988-04-12", "courriel:é@exemple.fr", "",
                    "x" * 300):
            expected = key_number(hmac.new(digest_key, key.encode(), hashlib.sha256).hexdigest())
            assert matching.digest(key) == expected == key_number(key_digest(digest_key, key))
            assert matching.digest(key) == expected  # the hashed pads are not used up
