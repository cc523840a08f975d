"""The Merkle tree and its hash tiles answer only for what they hold, and say what they do not hold word for word;
the tile lists of a tree end where its hashes end; canonical JSON refuses the integers a double cannot hold,
as the reference RFC 8785 implementation does."""

import pytest
import rfc8785

from services.records.log import jcs, tiles
from services.records.log.merkle import MerkleTree, ProofError, leaf_hash, node_hash


def refused(error, call, *args):
    with pytest.raises(error) as info:
        call(*args)
    assert type(info.value) is error
    return str(info.value)


LEAVES = [leaf_hash(f"entry {n}".encode()) for n in range(3)]


def three():
    return MerkleTree(LEAVES)


# -- the tree -----------------------------------------------------------------------------------------------


def test_a_leaf_hash_of_the_wrong_length_is_refused_for_its_length():
    assert refused(ProofError, MerkleTree().append, bytes(31)) == "a leaf hash is 32 bytes, got 31"
    assert refused(ProofError, MerkleTree().append, b"") == "a leaf hash is 32 bytes, got 0"


def test_a_tree_of_three_has_leaves_0_to_2_and_no_other():
    log = three()
    assert [log.leaf(i) for i in range(3)] == LEAVES
    assert refused(ProofError, log.leaf, 3) == "no leaf 3 in a tree of 3"
    assert refused(ProofError, log.leaf, -1) == "no leaf -1 in a tree of 3"
    assert refused(ProofError, MerkleTree().leaf, 0) == "no leaf 0 in a tree of 0"


def test_an_inclusion_proof_is_only_for_a_leaf_within_the_size_asked():
    log = three()
    assert log.inclusion_proof(2, 3) == [node_hash(LEAVES[0], LEAVES[1])]
    assert refused(ProofError, log.inclusion_proof, 3, 3) == "leaf 3 is not in a tree of size 3"
    assert refused(ProofError, log.inclusion_proof, 2, 2) == "leaf 2 is not in a tree of size 2"


def test_a_consistency_proof_runs_only_forward():
    log = three()
    assert refused(ProofError, log.consistency_proof, 3, 2) == "no consistency proof from size 3 to size 2"
    assert refused(ProofError, log.consistency_proof, -1, 3) == "no consistency proof from size -1 to size 3"


@pytest.mark.parametrize("size", [4, -1, True, False], ids=["beyond", "negative", "true", "false"])
def test_a_size_the_tree_never_had_is_refused(size):
    assert refused(ProofError, three().root, size) == f"size {size!r} is not between 0 and the tree's size 3"


def test_the_stored_hashes_of_a_tree_of_three():
    log = three()
    assert log.stored_range(0, 0, 3) == b"".join(LEAVES)
    assert log.stored_range(0, 2, 1) == LEAVES[2]
    assert log.stored_range(1, 0, 1) == node_hash(LEAVES[0], LEAVES[1])


@pytest.mark.parametrize(
    "level, start, count, message",
    [
        (0, 2, 2, "the tree holds no 2 hashes of height 0 from 2"),
        (0, 0, 4, "the tree holds no 4 hashes of height 0 from 0"),
        (1, 1, 1, "the tree holds no 1 hashes of height 1 from 1"),
        (2, 0, 1, "the tree holds no 1 hashes of height 2 from 0"),
        (9, 0, 1, "the tree holds no 1 hashes of height 9 from 0"),
    ],
    ids=["leaves-past-the-end", "more-leaves-than-held", "no-second-pair", "no-level-2", "far-above"],
)
def test_hashes_the_tree_does_not_hold_are_refused_not_cut_short(level, start, count, message):
    assert refused(ProofError, three().stored_range, level, start, count) == message


# -- hash tiles (C2SP tlog-tiles) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "level, n, width, message",
    [
        (0, 1, 2, "no tile tile/0/001.p/2 in a tree of 3"),
        (0, 0, 4, "no tile tile/0/000.p/4 in a tree of 3"),
        (1, 0, 1, "no tile tile/1/000.p/1 in a tree of 3"),
        (0, 0, 256, "no tile tile/0/000 in a tree of 3"),
    ],
    ids=["second-tile", "wider-than-held", "level-1", "full-tile"],
)
def test_a_tile_the_tree_lacks_is_refused_by_its_path(level, n, width, message):
    assert refused(tiles.TileError, tiles.tile_bytes, three(), level, n, width) == message


@pytest.mark.parametrize(
    "size, expected",
    [
        (0, []),
        (1, [(0, 1)]),
        (255, [(0, 255)]),
        (256, [(0, 256)]),
        (257, [(0, 256), (1, 1)]),
        (512, [(0, 256), (1, 256)]),
    ],
    ids=["empty", "one", "255", "256", "257", "512"],
)
def test_the_level_0_tiles_hold_every_leaf_and_no_empty_tile(size, expected):
    assert tiles.level0_tiles(size) == expected


@pytest.mark.parametrize(
    "size, expected",
    [
        (255, []),
        (512, [(1, 0, 2)]),
        (65_535, [(1, 0, 255)]),
        (65_536, [(1, 0, 256), (2, 0, 1)]),
        (65_536 + 256, [(1, 0, 256), (1, 1, 1), (2, 0, 1)]),
    ],
    ids=["below-one-tile", "two-hashes", "one-short", "one-full-tile", "one-full-and-one"],
)
def test_the_upper_tiles_end_where_the_full_subtrees_end(size, expected):
    assert tiles.upper_tiles(size) == expected


def test_a_tile_of_the_wrong_length_is_refused_for_its_length():
    assert refused(tiles.TileError, tiles.split_hashes, bytes(63), 2) == "a tile of width 2 is 64 bytes, got 63"
    assert refused(tiles.TileError, tiles.split_hashes, bytes(8193), 256) == (
        "a tile of width 256 is 8192 bytes, got 8193"
    )
    assert tiles.split_hashes(bytes(32) + b"\x01" * 32, 2) == [bytes(32), b"\x01" * 32]


# -- canonical JSON (RFC 8785) ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [2**53, -(2**53), 2**53 + 1, -(2**60)], ids=["2-53", "minus-2-53", "past", "far"])
def test_an_integer_a_double_does_not_hold_exactly_is_refused_like_the_reference(value):
    with pytest.raises(rfc8785.IntegerDomainError):
        jcs.dumps(value)
    with pytest.raises(rfc8785.IntegerDomainError):
        jcs.dumps({"n": [value]})


def test_the_largest_integers_a_double_holds_exactly_are_written_as_integers():
    assert jcs.dumps(2**53 - 1) == b"9007199254740991"
    assert jcs.dumps(-(2**53 - 1)) == b"-9007199254740991"
    assert jcs.dumps({"n": [2**53 - 1]}) == b'{"n":[9007199254740991]}'
