"""An e-mail's domain typed a letter off a common provider's, read as the provider's.

gmial.com, gmal.com, hotmial.fr, orage.fr or wanadoo.f are typed for gmail.com,
hotmail.fr, orange.fr and wanadoo.fr: the same address compared as two, and an address
whose top-level domain lost a letter was not read at all. A domain one edit (OSA: a
letter left out, added, replaced or two exchanged) from exactly one provider of
`PROVIDERS` is that provider's, when the provider's name (before its first dot) has five
letters or more, or when the name is the provider's own and only the ending is off
(sfr.f, free.fe, live.co), and when the edit is a slip of the finger: a letter left out,
two exchanged, a letter doubled or struck with a key beside it, or replaced by a key
beside it on a French (AZERTY) or an English (QWERTY) keyboard. A letter replaced by a
far key makes another real name more often than a typo (grange.fr, a furniture maker's,
is not orange.fr; wahoo.com is not yahoo.com). A listed domain is never moved (mail.com, ymail.com and
email.com are a letter from gmail.com and are real providers), nor a domain two edits
off (gmail.fr is not gmail.com), nor one a letter from a short name (love.fr is not
live.fr: short names are one letter from many real domains). The user name (before the
@) is kept as typed: only the domain is read.

Example:
    >>> provider_domain("gmial.com"), provider_domain("wanadoo.f"), provider_domain("mail.com")
    ('gmail.com', 'wanadoo.fr', 'mail.com')
    >>> provider_domain("love.fr"), provider_domain("exemple.fr"), provider_domain("grange.fr")
    ('love.fr', 'exemple.fr', 'grange.fr')
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
        if OSA.distance(domain, provider, score_cutoff=1) <= 1
        and _mistypable(domain, provider)
        and _slip(domain, provider)
    ]
    return near[0] if len(near) == 1 else domain


def _mistypable(domain: str, provider: str) -> bool:
    """A long name's typo, or a name typed right whose ending is off."""
    name = provider.split(".", 1)[0]
    return len(name) >= _LONG_NAME or domain.split(".", 1)[0] == name


_KEYBOARDS = (
    ("1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"),  # AZERTY
    ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"),  # QWERTY
)


def _keys_beside(keyboard: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Each key's neighbours: either side in its row, and the row above and below at
    the same place or one off (the rows are staggered)."""
    beside: dict[str, set[str]] = {}
    for r, row in enumerate(keyboard):
        for c, key in enumerate(row):
            near = beside.setdefault(key, set())
            for other_r in (r - 1, r, r + 1):
                if 0 <= other_r < len(keyboard):
                    other = keyboard[other_r]
                    near.update(other[i] for i in (c - 1, c, c + 1) if 0 <= i < len(other))
            near.discard(key)
    return {key: frozenset(near) for key, near in beside.items()}


_BESIDE = [_keys_beside(keyboard) for keyboard in _KEYBOARDS]


def _beside(a: str, b: str) -> bool:
    return any(b in beside.get(a, ()) for beside in _BESIDE)


def _slip(domain: str, provider: str) -> bool:
    """The one edit from `provider` to `domain` is one a finger makes: a letter left out,
    two exchanged, a letter doubled or added beside the key of a letter next to it, a
    letter replaced by a key beside it."""
    if len(domain) < len(provider):
        return True  # a letter left out
    if len(domain) > len(provider):
        i = next((i for i, (a, b) in enumerate(zip(domain, provider, strict=False)) if a != b),
                 len(provider))
        added, around = domain[i], domain[max(0, i - 1):i] + domain[i + 1:i + 2]
        return any(added == near or _beside(added, near) for near in around)
    differ = [i for i, (a, b) in enumerate(zip(domain, provider, strict=True)) if a != b]
    if len(differ) == 2:
        return True  # two letters exchanged (the only two-place edit at distance one)
    [i] = differ
    return _beside(provider[i], domain[i])
