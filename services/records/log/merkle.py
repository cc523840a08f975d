"""RFC 6962 / RFC 9162 Merkle tree of the records log: hashing, proofs at any past size, and their verification."""

import hashlib

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof, a size or a hash that cannot be what the caller claims it is."""


def leaf_hash(data):
    """``SHA256(0x00 ‖ data)``: the hash of one log entry's bytes."""
    return hashlib.sha256(LEAF_PREFIX + bytes(data)).digest()


def node_hash(left, right):
    """``SHA256(0x01 ‖ left ‖ right)``: the hash of an interior node."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split_point(n):
    """The largest power of two strictly below ``n`` (n >= 2), RFC 6962's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only tree of leaf hashes that can answer for any size it has held.

    ``_levels[h]`` holds, back to back, the hashes of every complete, aligned
    subtree of ``2**h`` leaves, so any RFC 6962 range splits into O(log n)
    stored subtrees plus O(log n) fresh node hashes. One ``bytearray`` per level
    (rather than a list of ``bytes``) keeps a million leaves at about 64 MB.
    """

    def __init__(self, leaf_hashes=()):
        self._levels = [bytearray()]
        self._size = 0
        self.extend(leaf_hashes)

    @property
    def size(self):
        return self._size

    def __len__(self):
        return self._size

    def append(self, leaf_hash_value):
        """Add one leaf hash (32 bytes); return its index."""
        value = bytes(leaf_hash_value)
        if len(value) != HASH_SIZE:
            raise ProofError(f"a leaf hash is {HASH_SIZE} bytes, got {len(value)}")
        index = self._size
        self._size = n = index + 1
        self._levels[0] += value
        level = 0
        # Each trailing zero bit of the new size completes one more subtree.
        while not (n >> level) & 1:
            below = self._levels[level]
            combined = node_hash(bytes(below[-2 * HASH_SIZE : -HASH_SIZE]), bytes(below[-HASH_SIZE:]))
            level += 1
            if level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += combined
        return index

    def extend(self, leaf_hashes):
        for value in leaf_hashes:
            self.append(value)

    def leaf(self, index):
        """The leaf hash at ``index``."""
        if not 0 <= index < self._size:
            raise ProofError(f"no leaf {index} in a tree of {self._size}")
        return self._stored(0, index)

    def root(self, size=None):
        """The tree head of the first ``size`` leaves (default: all)."""
        size = self._checked_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._subtree(0, size)

    def inclusion_proof(self, index, size=None):
        """RFC 6962 ``PATH(index, D[0:size])``, leaf end first."""
        size = self._checked_size(size)
        if not isinstance(index, int) or not 0 <= index < size:
            raise ProofError(f"leaf {index} is not in a tree of size {size}")
        siblings = []
        start, end = 0, size
        while end - start > 1:
            middle = start + _split_point(end - start)
            if index < middle:
                siblings.append(self._subtree(middle, end))
                end = middle
            else:
                siblings.append(self._subtree(start, middle))
                start = middle
        siblings.reverse()
        return siblings

    def consistency_proof(self, first, second=None):
        """RFC 6962 ``PROOF(first, D[0:second])``; empty when ``first`` is 0 or equals ``second``."""
        second = self._checked_size(second)
        if not isinstance(first, int) or not 0 <= first <= second:
            raise ProofError(f"no consistency proof from size {first} to size {second}")
        if first == 0 or first == second:
            return []
        nodes = []
        start, end, remaining = 0, second, first
        whole_old_tree = True  # RFC 6962's flag b: the old root itself need not be sent
        while True:
            width = end - start
            if remaining == width:
                if not whole_old_tree:
                    nodes.append(self._subtree(start, end))
                break
            k = _split_point(width)
            if remaining <= k:
                nodes.append(self._subtree(start + k, end))
                end = start + k
            else:
                nodes.append(self._subtree(start, start + k))
                start += k
                remaining -= k
                whole_old_tree = False
        nodes.reverse()
        return nodes

    def stored_range(self, level, start, count):
        """``count`` stored hashes of height ``level`` from position ``start``, back to back (a hash tile's bytes)."""
        if level >= len(self._levels) or (start + count) * HASH_SIZE > len(self._levels[level]):
            raise ProofError(f"the tree holds no {count} hashes of height {level} from {start}")
        return bytes(self._levels[level][start * HASH_SIZE : (start + count) * HASH_SIZE])

    def _checked_size(self, size):
        if size is None:
            return self._size
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= self._size:
            raise ProofError(f"size {size!r} is not between 0 and the tree's size {self._size}")
        return size

    def _stored(self, level, index):
        offset = index * HASH_SIZE
        return bytes(self._levels[level][offset : offset + HASH_SIZE])

    def _subtree(self, start, end):
        """``MTH(D[start:end])`` for a non-empty range."""
        width = end - start
        if width & (width - 1) == 0 and start % width == 0:
            level = width.bit_length() - 1
            return self._stored(level, start >> level)
        middle = start + _split_point(width)
        return node_hash(self._subtree(start, middle), self._subtree(middle, end))


def _as_hash(value, what):
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value)
        except ValueError:
            raise ProofError(f"{what} is not hex") from None
    if not isinstance(value, (bytes, bytearray)) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")
    return bytes(value)


def _as_size(value, what):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{what} must be a non-negative integer")
    return value


def root_from_inclusion_proof(leaf_hash_value, index, size, path):
    """The root that ``path`` proves ``leaf_hash_value`` sits under (RFC 9162 §2.1.3.2); raise ProofError if it cannot."""
    index, size = _as_size(index, "index"), _as_size(size, "size")
    if index >= size:
        raise ProofError(f"index {index} is beyond size {size}")
    result = _as_hash(leaf_hash_value, "leaf hash")
    proof = [_as_hash(p, f"path[{i}]") for i, p in enumerate(path)]
    fn, sn = index, size - 1
    for sibling in proof:
        if sn == 0:
            raise ProofError("the path is longer than the tree is tall")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the path is shorter than the tree is tall")
    return result


def verify_inclusion(leaf_hash_value, index, size, path, root):
    """True when ``path`` proves leaf ``index`` of the tree of ``size`` has this hash under ``root``.

    Hashes may be bytes or hex strings; anything malformed is simply False.
    """
    try:
        return root_from_inclusion_proof(leaf_hash_value, index, size, path) == _as_hash(root, "root")
    except ProofError:
        return False


def check_consistency(first, second, first_root, second_root, path):
    """Raise ProofError unless ``path`` proves the tree of ``second`` extends the tree of ``first`` (RFC 9162 §2.1.4.2)."""
    first, second = _as_size(first, "first size"), _as_size(second, "second size")
    first_root = _as_hash(first_root, "first root")
    second_root = _as_hash(second_root, "second root")
    proof = [_as_hash(p, f"path[{i}]") for i, p in enumerate(path)]
    if first > second:
        raise ProofError(f"size {first} is after size {second}")
    if first == second:
        if proof:
            raise ProofError("equal sizes take an empty proof")
        if first_root != second_root:
            raise ProofError("equal sizes with different roots")
        return
    if first == 0:
        # Every tree extends the empty tree; RFC 9162 sends nothing for it.
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the proof is empty")
    if first & (first - 1) == 0:
        # The old tree is a complete subtree, so its root is the proof's implicit first node.
        proof = [first_root] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_result = second_result = proof[0]
    for node in proof[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is tall")
        if fn & 1 or fn == sn:
            first_result = node_hash(node, first_result)
            second_result = node_hash(node, second_result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            second_result = node_hash(second_result, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is tall")
    if first_result != first_root:
        raise ProofError("the proof does not lead to the first root")
    if second_result != second_root:
        raise ProofError("the proof does not lead to the second root")


def verify_consistency(first, second, first_root, second_root, path):
    """True when ``path`` proves the tree of size ``second`` is an append-only extension of the tree of size ``first``."""
    try:
        check_consistency(first, second, first_root, second_root, path)
    except ProofError:
        return False
    return True
