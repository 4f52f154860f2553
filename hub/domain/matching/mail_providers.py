"""An e-mail's domain typed a letter off a common provider's, read as the provider's.

gmial.com, gmal.com, hotmial.fr, orage.fr or wanadoo.f are typed for gmail.com,
hotmail.fr, orange.fr and wanadoo.fr: the same address compared as two, and an address
whose top-level domain lost a letter was not read at all. A domain one edit (OSA: a
letter left out, added, replaced or two exchanged) from exactly one provider of
`PROVIDERS` is that provider's, when the provider's name (before its first dot) has five
letters or more, or when the name is the provider's own and only the ending is off
(sfr.f, free.fe, live.co). A listed domain is never moved (mail.com, ymail.com and
email.com are a letter from gmail.com and are real providers), nor a domain two edits
off (gmail.fr is not gmail.com), nor one a letter from a short name (love.fr is not
live.fr: short names are one letter from many real domains). The user name (before the
@) is kept as typed: only the domain is read.

Example:
    >>> provider_domain("gmial.com"), provider_domain("wanadoo.f"), provider_domain("mail.com")
    ('gmail.com', 'wanadoo.fr', 'mail.com')
    >>> provider_domain("love.fr"), provider_domain("exemple.fr")
    ('love.fr', 'exemple.fr')
"""

from __future__ import annotations

import functools

from rapidfuzz.distance import OSA

# Providers French people write their e-mail at, and the real domains a letter from one
# (listed so that they are never read as the provider's).
PROVIDERS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.fr",
        "hotmail.com",
        "live.fr",
        "live.com",
        "outlook.fr",
        "outlook.com",
        "msn.com",
        "yahoo.fr",
        "yahoo.com",
        "ymail.com",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "neuf.fr",
        "laposte.net",
        "bbox.fr",
        "numericable.fr",
        "club-internet.fr",
        "aliceadsl.fr",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.fr",
        "gmx.com",
        "protonmail.com",
        "proton.me",
        "mail.com",
        "email.com",
    }
)
_LONG_NAME = 5


@functools.lru_cache(maxsize=4096)
def provider_domain(domain: str) -> str:
    """`domain` (lower case) as the provider's it was typed for, else as it is."""
    if domain in PROVIDERS:
        return domain
    near = [
        provider
        for provider in PROVIDERS
        if OSA.distance(domain, provider, score_cutoff=1) <= 1 and _mistypable(domain, provider)
    ]
    return near[0] if len(near) == 1 else domain


def _mistypable(domain: str, provider: str) -> bool:
    """A long name's typo, or a name typed right whose ending is off."""
    name = provider.split(".", 1)[0]
    return len(name) >= _LONG_NAME or domain.split(".", 1)[0] == name
