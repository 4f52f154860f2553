"""RFC 6962 Merkle tree: known vectors (transparency-dev/merkle, certificate-transparency-go)
and properties: every generated proof verifies, every altered proof does not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleTree,
    leaf_hash,
    node_hash,
    split_point,
    verify_consistency,
    verify_inclusion,
)

LEAF_INPUTS = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
LEAF_HASHES = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
)]


def _h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


# (leaf index, tree size, PATH) from transparency-dev/merkle proof/verify_test.go and
# testonly/reference_test.go (there the index is 1-based; here it is 0-based).
INCLUSION_VECTORS = [
    (0, 1, []),
    (0, 2, _h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")),
    (1, 2, _h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")),
    (2, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (1, 5, _h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
    (0, 8, _h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (5, 8, _h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
]
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (1, 8, _h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (6, 8, _h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 5, _h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
    (6, 7, _h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
]


@pytest.fixture(scope="module")
def vector_tree() -> MerkleTree:
    return MerkleTree.from_leaf_hashes(leaf_hash(data) for data in LEAF_INPUTS)


def _reference_root(leaves: list[bytes]) -> bytes:
    """MTH written straight from RFC 6962 section 2.1, to cross-check the cached tree."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


def test_leaf_hashes_match_the_rfc_6962_vectors() -> None:
    assert [leaf_hash(data) for data in LEAF_INPUTS] == LEAF_HASHES


@pytest.mark.parametrize("size", range(9))
def test_root_of_each_prefix_matches_the_known_root(vector_tree: MerkleTree, size: int) -> None:
    assert vector_tree.root(size) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_the_known_vectors(
    vector_tree: MerkleTree, index: int, size: int, expected: list[bytes]
) -> None:
    proof = vector_tree.inclusion_proof(index, size)
    assert proof == expected
    assert verify_inclusion(index, size, LEAF_HASHES[index], proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "expected"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_the_known_vectors(
    vector_tree: MerkleTree, old: int, new: int, expected: list[bytes]
) -> None:
    proof = vector_tree.consistency_proof(old, new)
    assert proof == expected
    assert verify_consistency(old, new, proof, ROOTS[old], ROOTS[new])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS[3:])
def test_corrupted_inclusion_proofs_are_refused(index: int, size: int, proof: list[bytes]) -> None:
    leaf, root = LEAF_HASHES[index], ROOTS[size]
    some_hash = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes = [
        (index - 1, size, leaf, proof, root), (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root), (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root), (index, size, b"WrongLeaf", proof, root),
        (index, size, leaf, proof, EMPTY_ROOT), (index, size, leaf, proof, some_hash),
        (index, size, leaf, [*proof, b""], root), (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root), (index, size, leaf, [root, *proof], root),
        (index, size, leaf, proof[:-1], root),
        (index, size, leaf, [proof[0], some_hash, *proof[1:]], root),
    ]
    for position in range(len(proof)):
        flipped = list(proof)
        flipped[position] = bytes([proof[position][0] ^ 8]) + proof[position][1:]
        probes.append((index, size, leaf, flipped, root))
    assert not any(verify_inclusion(*probe) for probe in probes)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS[1:])
def test_corrupted_consistency_proofs_are_refused(old: int, new: int, proof: list[bytes]) -> None:
    r1, r2 = ROOTS[old], ROOTS[new]
    probes = [
        (old - 1, new, proof, r1, r2), (old + 1, new, proof, r1, r2),
        (old ^ 2, new, proof, r1, r2), (old, new * 2, proof, r1, r2),
        (old, new // 2, proof, r1, r2), (old, new, proof, b"WrongRoot", r2),
        (old, new, proof, r1, b"WrongRoot"), (old, new, proof, r2, r1),
        (old, new, [], r1, r2), (old, new, [*proof, b""], r1, r2),
        (old, new, [*proof, r1], r1, r2), (old, new, [*proof, r2], r1, r2),
        (old, new, [b"", *proof], r1, r2), (old, new, [r1, *proof], r1, r2),
        (old, new, [r2, *proof], r1, r2), (old, new, [proof[0], *proof], r1, r2),
        (old, new, proof[:-1], r1, r2),
    ]
    for position in range(len(proof)):
        flipped = list(proof)
        flipped[position] = bytes([proof[position][0] ^ 16]) + proof[position][1:]
        probes.append((old, new, flipped, r1, r2))
    assert not any(verify_consistency(*probe) for probe in probes)


def test_trivial_consistency_needs_equal_roots_and_an_empty_proof() -> None:
    assert verify_consistency(0, 5, [], EMPTY_ROOT, ROOTS[5])
    assert verify_consistency(3, 3, [], ROOTS[3], ROOTS[3])
    assert not verify_consistency(3, 3, [], ROOTS[3], ROOTS[4])
    assert not verify_consistency(3, 3, [EMPTY_ROOT], ROOTS[3], ROOTS[3])
    assert not verify_consistency(4, 3, [], ROOTS[4], ROOTS[3])


def test_compact_range_tracks_the_roots_of_every_prefix() -> None:
    compact = CompactRange()
    for size, leaf in enumerate(LEAF_HASHES, start=1):
        compact.append(leaf)
        assert compact.root() == ROOTS[size]
    resumed = CompactRange(4, compact_frontier_at(4))
    for leaf in LEAF_HASHES[4:]:
        resumed.append(leaf)
    assert resumed.root() == ROOTS[8]


def compact_frontier_at(size: int) -> list[bytes]:
    compact = CompactRange()
    for leaf in LEAF_HASHES[:size]:
        compact.append(leaf)
    return compact.frontier()


def test_out_of_range_requests_are_refused(vector_tree: MerkleTree) -> None:
    with pytest.raises(ValueError):
        vector_tree.inclusion_proof(8, 8)
    with pytest.raises(ValueError):
        vector_tree.root(9)
    with pytest.raises(ValueError):
        vector_tree.consistency_proof(5, 4)


@st.composite
def tree_and_sizes(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    size = draw(st.integers(min_value=1, max_value=130))
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    old = draw(st.integers(min_value=1, max_value=size))
    index = draw(st.integers(min_value=0, max_value=size - 1))
    return leaves, old, index


@settings(max_examples=150, deadline=None)
@given(tree_and_sizes(), st.integers(min_value=0, max_value=31), st.integers(0, 7))
def test_every_generated_proof_verifies_and_a_tampered_one_does_not(
    case: tuple[list[bytes], int, int], byte: int, bit: int
) -> None:
    leaves, old, index = case
    size = len(leaves)
    tree = MerkleTree.from_leaf_hashes(leaves)
    root, old_root = tree.root(), tree.root(old)
    assert root == _reference_root(leaves) and old_root == _reference_root(leaves[:old])

    inclusion = tree.inclusion_proof(index)
    assert verify_inclusion(index, size, leaves[index], inclusion, root)
    consistency = tree.consistency_proof(old)
    assert verify_consistency(old, size, consistency, old_root, root)

    if inclusion:
        assert not verify_inclusion(index, size, leaves[index], _flip(inclusion, byte, bit), root)
    assert not verify_inclusion(index, size, _flip([leaves[index]], byte, bit)[0], inclusion, root)
    if consistency:
        assert not verify_consistency(old, size, _flip(consistency, byte, bit), old_root, root)


def _flip(proof: list[bytes], byte: int, bit: int) -> list[bytes]:
    position = byte % len(proof)
    node = bytearray(proof[position])
    node[byte] ^= 1 << bit
    return [*proof[:position], bytes(node), *proof[position + 1 :]]
