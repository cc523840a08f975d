"""RFC 6962 Merkle tree and proof verification against published vectors and a naive reference."""

import hashlib

import pytest

from records_rfc6962_vectors import (
    CONSISTENCY_PROOFS,
    EMPTY_ROOT,
    HASHER_EMPTY_LEAF,
    HASHER_LEAF,
    HASHER_NODE,
    INCLUSION_PROOFS,
    LEAF_INPUTS,
    NODE_HASHES,
    ROOTS,
    SOME_HASH,
)
from services.records.log.merkle import (
    MerkleTree,
    ProofError,
    check_consistency,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

LEAF_HASHES = [leaf_hash(bytes.fromhex(x)) for x in LEAF_INPUTS]


def h(hex_text):
    return bytes.fromhex(hex_text)


def golden_tree(size=8):
    return MerkleTree(LEAF_HASHES[:size])


# --- naive reference, written straight from RFC 6962 §2.1 ---------------------------------


def ref_mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m, leaves):
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return ref_path(m, leaves[:k]) + [ref_mth(leaves[k:])]
    return ref_path(m - k, leaves[k:]) + [ref_mth(leaves[:k])]


def ref_subproof(m, leaves, whole):
    n = len(leaves)
    if m == n:
        return [] if whole else [ref_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return ref_subproof(m, leaves[:k], whole) + [ref_mth(leaves[k:])]
    return ref_subproof(m - k, leaves[k:], False) + [ref_mth(leaves[:k])]


def ref_proof(m, leaves):
    return [] if m in (0, len(leaves)) else ref_subproof(m, leaves, True)


# --- hashing ---------------------------------------------------------------------------------


def test_hasher_vectors():
    assert leaf_hash(HASHER_LEAF[0]).hex() == HASHER_LEAF[1]
    assert leaf_hash(HASHER_EMPTY_LEAF[0]).hex() == HASHER_EMPTY_LEAF[1]
    assert node_hash(HASHER_NODE[0], HASHER_NODE[1]).hex() == HASHER_NODE[2]
    # Domain separation: a node is not the leaf of its children's concatenation.
    a, b = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(a, b) != leaf_hash(a + b)
    assert node_hash(a, b) != node_hash(b, a)


def test_empty_tree_root_is_sha256_of_nothing():
    assert MerkleTree().root().hex() == EMPTY_ROOT
    assert golden_tree().root(0).hex() == EMPTY_ROOT


def test_leaf_hashes_match_published_level_zero():
    assert [x.hex() for x in LEAF_HASHES] == NODE_HASHES[0]


@pytest.mark.parametrize("size", range(9))
def test_root_at_every_size_matches_published_roots(size):
    assert golden_tree(8).root(size).hex() == ROOTS[size]
    assert golden_tree(size).root().hex() == ROOTS[size]


def test_roots_while_appending_one_at_a_time():
    tree = MerkleTree()
    for size, value in enumerate(LEAF_HASHES, start=1):
        tree.append(value)
        assert [tree.root(s).hex() for s in range(size + 1)] == ROOTS[: size + 1]


def test_stored_subtrees_are_the_published_node_hashes():
    tree = golden_tree()
    for level, hashes in enumerate(NODE_HASHES):
        width = 1 << level
        for index, expected in enumerate(hashes):
            assert tree._subtree(index * width, (index + 1) * width).hex() == expected


# --- published proofs --------------------------------------------------------------------------


@pytest.mark.parametrize("leaf_number,size,path", INCLUSION_PROOFS)
def test_inclusion_proofs_match_published(leaf_number, size, path):
    index = leaf_number - 1
    assert [p.hex() for p in golden_tree().inclusion_proof(index, size)] == path
    assert verify_inclusion(LEAF_HASHES[index], index, size, [h(p) for p in path], h(ROOTS[size]))
    # Hex strings are accepted as the API returns them.
    assert verify_inclusion(LEAF_HASHES[index].hex(), index, size, path, ROOTS[size])


@pytest.mark.parametrize("first,second,path", CONSISTENCY_PROOFS)
def test_consistency_proofs_match_published(first, second, path):
    assert [p.hex() for p in golden_tree().consistency_proof(first, second)] == path
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], path)


def corrupt_inclusion(index, size, path, root, leaf):
    """The probes of transparency-dev's corruptInclusionProof; none of them may verify."""
    probes = [
        ("index - 1", index - 1, size, root, leaf, path),
        ("index + 1", index + 1, size, root, leaf, path),
        ("index ^ 2", index ^ 2, size, root, leaf, path),
        ("size * 2", index, size * 2, root, leaf, path),
        ("size // 2", index, size // 2, root, leaf, path),
        ("wrong leaf", index, size, root, leaf_hash(b"WrongLeaf"), path),
        ("empty root", index, size, h(EMPTY_ROOT), leaf, path),
        ("random root", index, size, h(SOME_HASH), leaf, path),
        ("trailing garbage", index, size, root, leaf, path + [b""]),
        ("trailing root", index, size, root, leaf, path + [root]),
        ("preceding garbage", index, size, root, leaf, [b""] + path),
        ("preceding root", index, size, root, leaf, [root] + path),
    ]
    for i in range(len(path)):
        flipped = list(path)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((f"modified proof[{i}] bit 3", index, size, root, leaf, flipped))
    if path:
        probes.append(("removed component", index, size, root, leaf, path[:-1]))
    if len(path) > 1:
        probes.append(("inserted component", index, size, root, leaf, [path[0], h(SOME_HASH)] + path[1:]))
    return probes


@pytest.mark.parametrize("leaf_number,size,path", INCLUSION_PROOFS)
def test_corrupted_inclusion_proofs_fail(leaf_number, size, path):
    index = leaf_number - 1
    probes = corrupt_inclusion(index, size, [h(p) for p in path], h(ROOTS[size]), LEAF_HASHES[index])
    accepted = [p[0] for p in probes if verify_inclusion(p[4], p[1], p[2], p[5], p[3])]
    assert accepted == []


def corrupt_consistency(first, second, root1, root2, path):
    """The probes of transparency-dev's corruptConsistencyProof; none of them may verify."""
    probes = [
        ("first - 1", first - 1, second, root1, root2, path),
        ("first + 1", first + 1, second, root1, root2, path),
        ("first ^ 2", first ^ 2, second, root1, root2, path),
        ("second * 2", first, second * 2, root1, root2, path),
        ("second // 2", first, second // 2, root1, root2, path),
        ("wrong root1", first, second, h(SOME_HASH), root2, path),
        ("wrong root2", first, second, root1, h(SOME_HASH), path),
        ("swapped roots", first, second, root2, root1, path),
        ("empty proof", first, second, root1, root2, []),
        ("trailing garbage", first, second, root1, root2, path + [b""]),
        ("trailing root1", first, second, root1, root2, path + [root1]),
        ("trailing root2", first, second, root1, root2, path + [root2]),
        ("preceding garbage", first, second, root1, root2, [b""] + path),
        ("preceding root1", first, second, root1, root2, [root1] + path),
        ("preceding root2", first, second, root1, root2, [root2] + path),
        ("preceding proof[0]", first, second, root1, root2, [path[0]] + path),
        ("truncated proof", first, second, root1, root2, path[:-1]),
    ]
    for i in range(len(path)):
        flipped = list(path)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((f"modified proof[{i}] bit 4", first, second, root1, root2, flipped))
    return probes


@pytest.mark.parametrize("first,second,path", [p for p in CONSISTENCY_PROOFS if p[2]])
def test_corrupted_consistency_proofs_fail(first, second, path):
    probes = corrupt_consistency(first, second, h(ROOTS[first]), h(ROOTS[second]), [h(p) for p in path])
    accepted = [p[0] for p in probes if verify_consistency(p[1], p[2], p[3], p[4], p[5])]
    assert accepted == []


def test_consistency_edge_cases():
    r1, r2 = h(ROOTS[1]), h(ROOTS[2])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 2, EMPTY_ROOT, r2, [])
    assert verify_consistency(1, 1, r1, r1, [])
    assert not verify_consistency(1, 1, r1, r2, [])  # same size, different roots
    assert not verify_consistency(1, 1, r1, r1, [h(EMPTY_ROOT)])  # same size, non-empty proof
    assert not verify_consistency(0, 1, EMPTY_ROOT, r1, [h(EMPTY_ROOT)])
    assert not verify_consistency(2, 1, r2, r1, [])  # time travel to the past
    assert not verify_consistency(1, 2, r1, r2, [])  # empty proof between distinct sizes
    with pytest.raises(ProofError, match="second root"):
        check_consistency(1, 8, ROOTS[1], SOME_HASH, CONSISTENCY_PROOFS[1][2])


def test_inclusion_edge_cases():
    leaf = LEAF_HASHES[0]
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 0, [], leaf)
    assert not verify_inclusion(leaf, 1, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], leaf)
    assert not verify_inclusion("not hex", 0, 1, [], leaf)
    with pytest.raises(ProofError, match="beyond"):
        root_from_inclusion_proof(leaf, 2, 1, [])


def test_tree_refuses_sizes_and_indexes_it_never_held():
    tree = golden_tree(5)
    for call in (
        lambda: tree.root(6),
        lambda: tree.inclusion_proof(5, 5),
        lambda: tree.inclusion_proof(0, 0),
        lambda: tree.inclusion_proof(0, 6),
        lambda: tree.consistency_proof(3, 6),
        lambda: tree.consistency_proof(4, 3),
        lambda: tree.append(b"short"),
    ):
        with pytest.raises(ProofError):
            call()


# --- property test against the naive reference -----------------------------------------------

REF_SIZE = 64
REF_LEAVES = [str(i).encode() for i in range(REF_SIZE)]


@pytest.fixture(scope="module")
def big_tree():
    return MerkleTree(leaf_hash(x) for x in REF_LEAVES)


def test_roots_match_reference_for_all_sizes(big_tree):
    for size in range(REF_SIZE + 1):
        assert big_tree.root(size) == ref_mth(REF_LEAVES[:size]), size


def test_inclusion_proofs_match_reference_for_all_sizes(big_tree):
    for size in range(1, REF_SIZE + 1):
        root = ref_mth(REF_LEAVES[:size])
        for index in range(size):
            path = big_tree.inclusion_proof(index, size)
            assert path == ref_path(index, REF_LEAVES[:size]), (index, size)
            leaf = leaf_hash(REF_LEAVES[index])
            assert verify_inclusion(leaf, index, size, path, root)
            if size > 1:
                assert not verify_inclusion(leaf, index, size, path, big_tree.root(size - 1))
            if index + 1 < size:
                assert not verify_inclusion(leaf, index + 1, size, path, root)


def test_consistency_proofs_match_reference_for_all_sizes(big_tree):
    for second in range(REF_SIZE + 1):
        root2 = ref_mth(REF_LEAVES[:second])
        for first in range(second + 1):
            path = big_tree.consistency_proof(first, second)
            assert path == ref_proof(first, REF_LEAVES[:second]), (first, second)
            root1 = ref_mth(REF_LEAVES[:first])
            assert verify_consistency(first, second, root1, root2, path), (first, second)
            if 0 < first < second:
                # A history rewritten at its last old leaf must not pass as an extension.
                forged = ref_mth(REF_LEAVES[: first - 1] + [b"forged"])
                assert not verify_consistency(first, second, forged, root2, path), (first, second)


# --- a large tree (its speed is measured by bench/records_bench.py, not here) -----------------


@pytest.fixture(scope="module")
def million_tree():
    return MerkleTree(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(1_000_000))


def test_a_million_leaves_prove_and_verify(million_tree):
    tree = million_tree
    size = tree.size
    root = tree.root()
    for k in range(50):
        index = (k * 7919 * 127) % size
        old = 1 + (k * 104729) % (size - 1)
        inclusion = tree.inclusion_proof(index)
        consistency = tree.consistency_proof(old, size)
        past_root = tree.root(old)
        assert len(inclusion) <= 20
        assert verify_inclusion(tree.leaf(index), index, size, inclusion, root)
        assert verify_consistency(old, size, past_root, root, consistency)


def test_inclusion_arguments_are_named_when_wrong():
    with pytest.raises(ProofError, match="^index must be a non-negative integer$"):
        root_from_inclusion_proof(LEAF_HASHES[0], -1, 1, [])
    with pytest.raises(ProofError, match="^size must be a non-negative integer$"):
        root_from_inclusion_proof(LEAF_HASHES[0], 0, True, [])
