"""Password hashing for console accounts: argon2id (RFC 9106) with OWASP's parameters
m = 46 MiB, t = 1, p = 1 (memory-hard: about 3x the memory of the scrypt N = 2^14 used
before, for the same CPU time on a small server), a per-account salt, in the PHC string
form ``$argon2id$v=19$m=47104,t=1,p=1$salt$hash``.

Hashes made before (``scrypt$N$r$p$salt$hash``, scrypt N = 2^14) still verify, and
`needs_rehash` tells the sign-in to replace them (and any argon2 hash made with weaker
parameters) by a new argon2id hash once the password is known to be right.

Example:
    >>> stored = hash_password("une phrase de passe assez longue")
    >>> password_matches("une phrase de passe assez longue", stored)
    True
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from connectors import b64url

_HASHER = PasswordHasher(memory_cost=47104, time_cost=1, parallelism=1)  # argon2id
_SCRYPT = "scrypt$"
_SALT_BYTES, _KEY_BYTES = 16, 32
_MAX_MEMORY = 64 * 1024 * 1024


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(password: str, stored: str) -> bool:
    if stored.startswith(_SCRYPT):
        return _scrypt_matches(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for a scrypt hash or an argon2 hash weaker than today's parameters."""
    try:
        return stored.startswith(_SCRYPT) or _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _scrypt_matches(password: str, stored: str) -> bool:
    try:
        _scheme, n, r, p, salt, expected = stored.split("$")
        derived = _derive(password, b64url.decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(derived, b64url.decode(expected))


def spend_the_same_time(password: str) -> None:
    """Hash once against a throw-away hash, so an unknown login costs what a known one does."""
    password_matches(password, _dummy_hash())


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=_MAX_MEMORY, dklen=_KEY_BYTES)


