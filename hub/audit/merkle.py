"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification.

Leaves are hashed as SHA-256(0x00 || data), interior nodes as SHA-256(0x01 || left || right);
the tree over n leaves (MTH) splits at the largest power of two smaller than n. Two
structures hold the state:

* `MerkleTree` keeps every complete subtree hash, level by level, in flat byte arrays
  (32 bytes per node, about 64 MB for 10^6 leaves), so roots and proofs for any past
  size cost O(log n) hashes;
* `CompactRange` keeps only the right edge (at most log2 n hashes): what a streaming
  verifier needs to compute roots while it reads entries.

Pure standard library: the offline verifier imports this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 hash of one leaf's data."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two strictly smaller than `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


class CompactRange:
    """The right edge of a growing tree: full-subtree hashes, largest first."""

    def __init__(self, size: int = 0, frontier: Sequence[bytes] = ()) -> None:
        if len(frontier) != size.bit_count():
            raise ValueError("a compact range of size n holds popcount(n) hashes")
        self.size = size
        self._stack = list(frontier)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash; merge the complete subtrees it closes."""
        stack = self._stack
        node = leaf
        size = self.size
        while size & 1:
            node = _sha256(_NODE_PREFIX + stack.pop() + node).digest()
            size >>= 1
        stack.append(node)
        self.size += 1

    def frontier(self) -> list[bytes]:
        return list(self._stack)

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


class MerkleTree:
    """An append-only tree over stored leaf hashes, with every complete subtree cached."""

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self.size = 0

    @classmethod
    def from_leaf_hashes(cls, leaves: Iterable[bytes]) -> MerkleTree:
        tree = cls()
        tree.extend(leaves)
        return tree

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash (32 bytes) and the complete subtrees it closes."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        levels = self._levels
        levels[0] += leaf
        index, level, node = self.size, 0, leaf
        while index & 1:
            row = levels[level]
            start = (index - 1) * HASH_SIZE
            node = _sha256(_NODE_PREFIX + row[start : start + HASH_SIZE] + node).digest()
            level += 1
            index >>= 1
            if len(levels) == level:
                levels.append(bytearray())
            levels[level] += node
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def leaf(self, index: int) -> bytes:
        self._check_index(index, self.size)
        return self._node(0, index)

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` leaves (default: all of them)."""
        size = self._check_size(size)
        return self._range_hash(0, size) if size else EMPTY_ROOT

    def frontier(self, size: int | None = None) -> list[bytes]:
        """The compact range of the first `size` leaves: its complete subtrees, largest first."""
        size = self._check_size(size)
        nodes, lo = [], 0
        for bit in reversed(range(size.bit_length())):
            if size >> bit & 1:
                nodes.append(self._range_hash(lo, lo + (1 << bit)))
                lo += 1 << bit
        return nodes

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) of RFC 6962 section 2.1.1, leaf side first."""
        size = self._check_size(size)
        self._check_index(index, size)
        proof: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = split_point(hi - lo)
            if index < lo + k:
                proof.append(self._range_hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self._range_hash(lo, lo + k))
                lo += k
        proof.reverse()
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[new_size]) of RFC 6962 section 2.1.2."""
        new_size = self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError("old size must lie between 0 and the new size")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []
        lo, hi, m, complete = 0, new_size, old_size, True
        while m != hi - lo:
            k = split_point(hi - lo)
            if m <= k:
                proof.append(self._range_hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self._range_hash(lo, lo + k))
                lo, m, complete = lo + k, m - k, False
        if not complete:
            proof.append(self._range_hash(lo, hi))
        proof.reverse()
        return proof

    def _range_hash(self, lo: int, hi: int) -> bytes:
        """MTH of leaves [lo, hi); every range met here is aligned as MTH splits it."""
        width = hi - lo
        if width & (width - 1) == 0:
            level = width.bit_length() - 1
            return self._node(level, lo >> level)
        k = split_point(width)
        return node_hash(self._range_hash(lo, lo + k), self._range_hash(lo + k, hi))

    def _node(self, level: int, index: int) -> bytes:
        start = index * HASH_SIZE
        return bytes(self._levels[level][start : start + HASH_SIZE])

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is outside 0..{self.size}")
        return size

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is outside 0..{size - 1}")


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """RFC 9162 section 2.1.3.2: the root a proof leads to, or None if it is malformed."""
    if not 0 <= index < size or len(leaf) != HASH_SIZE:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0 or len(sibling) != HASH_SIZE:
            return None
        if fn & 1 or fn == sn:
            node = _sha256(_NODE_PREFIX + sibling + node).digest()
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = _sha256(_NODE_PREFIX + node + sibling).digest()
        fn, sn = fn >> 1, sn >> 1
    return node if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when `proof` shows leaf `index` with hash `leaf` in the tree of `size` and `root`."""
    return root_from_inclusion_proof(index, size, leaf, proof) == root


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree (old_size, old_root) a prefix of the new one?"""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof or any(len(node) != HASH_SIZE for node in proof):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
