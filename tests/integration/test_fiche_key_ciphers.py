"""A fiche's data key seals and opens its values through one AES-GCM cipher a unit of
work: the key's schedule is worked out once, not for every value (a worker seals a
fiche's identity, its record form and its deliveries, and opens its version)."""

from __future__ import annotations

import pytest

from consent import shredding
from hub.errors import UnreadableData
from tests.integration.world import OWNER, fiche, push_and_process


def _counting_ciphers(monkeypatch) -> list[bytes]:
    built: list[bytes] = []
    real = shredding.AESGCM

    def counting(key: bytes):
        built.append(key)
        return real(key)

    monkeypatch.setattr(shredding, "AESGCM", counting)
    return built


def test_a_fiches_values_are_sealed_and_opened_with_one_cipher_a_unit_of_work(network, monkeypatch):
    hub, *_ = network
    push_and_process(hub, fiche("F-1"), fiche("F-2"))
    with hub.uow() as uow:
        first = uow.fiches.get(OWNER.member_id, "F-1").id
        second = uow.fiches.get(OWNER.member_id, "F-2").id
    built = _counting_ciphers(monkeypatch)
    with hub.uow() as uow:
        sealed = {
            (pk, n): uow.keys.seal(pk, f"test:{pk}:{n}", f"valeur {pk} {n}")
            for pk in (first, second)
            for n in range(3)
        }
        opened = {at: uow.keys.open(at[0], f"test:{at[0]}:{at[1]}", token) for at, token in sealed.items()}
        with pytest.raises(UnreadableData):  # still bound to its fiche's key and context
            uow.keys.open(second, f"test:{first}:0", sealed[first, 0])
    assert opened == {(pk, n): f"valeur {pk} {n}" for pk in (first, second) for n in range(3)}
    assert (len(built), len(set(built))) == (2, 2)  # one a fiche
    with hub.uow() as uow:  # another unit of work opens them with its own cipher
        assert uow.keys.open(first, f"test:{first}:2", sealed[first, 2]) == f"valeur {first} 2"
    assert len(built) == 3
