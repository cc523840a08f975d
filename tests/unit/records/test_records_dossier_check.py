"""The offline dossier check, one tampering at a time: each is refused, naming the first bad seq and why."""

import copy

import pytest
from nacl.signing import SigningKey
from records_synthetic_log import checkpoint_of, make_log

from services.records.log.checkpoint import public_key_b64
from services.records.log.merkle import MerkleTree
from services.records.log.verify_core import check_dossier, check_hex_path

KEY = SigningKey(bytes(range(32)))
PUBLIC = public_key_b64(KEY)


def dossier():
    entries = make_log(12)
    tree = MerkleTree(bytes.fromhex(e["leaf_hash"]) for e in entries)
    chosen = [e for e in entries if e["subject"] == "selection:1"]
    return {
        "selection": "1",
        "checkpoint": checkpoint_of(entries, KEY),
        "entries": [
            dict(
                e,
                proof={
                    "index": e["seq"],
                    "size": 12,
                    "leaf_hash": e["leaf_hash"],
                    "path": [n.hex() for n in tree.inclusion_proof(e["seq"], 12)],
                },
            )
            for e in chosen
        ],
    }


def test_a_whole_dossier_holds_and_says_what_it_checked():
    good = dossier()
    result = check_dossier(good, PUBLIC)
    assert result.ok and result.first_bad_seq is None
    assert result.message == (
        f"dossier of '1': {len(good['entries'])} entries included in checkpoint 12 "
        f"signed by {good['checkpoint']['key_id']}"
    )


def _second(d):
    return d["entries"][1]


def _set_path(value):
    def change(d):
        _second(d)["proof"]["path"] = value

    return change


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda d: _second(d).update(leaf_hash="0" * 64), "leaf_hash does not match its content"),
        (lambda d: _second(d)["proof"].update(leaf_hash="0" * 64), "leaf_hash does not match its content"),
        (lambda d: _second(d)["proof"].update(index=0), "the proof is not for this entry in this checkpoint"),
        (lambda d: _second(d)["proof"].update(size=11), "the proof is not for this entry in this checkpoint"),
        (_set_path(""), "the inclusion proof does not lead to the checkpoint's root"),
        (_set_path(["zz"]), "the inclusion proof does not lead to the checkpoint's root"),
        (lambda d: _second(d)["proof"]["path"].reverse(), "the inclusion proof does not lead to the checkpoint's root"),
        (lambda d: _second(d).pop("place"), "lacks place"),
        (lambda d: _second(d).update(matter={1, 2}), "cannot be canonicalised"),
    ],
)
def test_each_tampering_names_the_entry_and_why(change, message):
    tampered = copy.deepcopy(dossier())
    seq = _second(tampered)["seq"]
    change(tampered)
    result = check_dossier(tampered, PUBLIC)
    assert (result.ok, result.first_bad_seq) == (False, seq)
    assert result.message.startswith(f"seq {seq}") and message in result.message


@pytest.mark.parametrize(
    "shape,message",
    [
        ([], "dossier: not {selection, checkpoint, entries}"),
        ({"entries": "none"}, "dossier: not {selection, checkpoint, entries}"),
        ("entry without proof", "dossier entry 1 has no proof"),
    ],
)
def test_a_dossier_of_the_wrong_shape_is_named(shape, message):
    if shape == "entry without proof":
        shape = dossier()
        del _second(shape)["proof"]
    result = check_dossier(shape, PUBLIC)
    assert result == (False, None, message)


def test_a_hex_path_is_a_list_of_hashes():
    assert check_hex_path(["ab" * 32]) and check_hex_path([])
    assert not check_hex_path("") and not check_hex_path({}) and not check_hex_path(["ab"])


# --- the public tile check over more than one tile (the verify tests' large logs are left out of mutation runs)


def test_tiles_over_several_subtrees_hold_and_a_wrong_hash_names_its_range():
    from services.records.log import note
    from services.records.log.merkle import leaf_hash
    from services.records.log.tiles import split_hashes, tile_bytes, upper_tiles
    from services.records.log.verify_core import PublicCheckError, check_tiles

    leaves = [leaf_hash(b"%d" % i) for i in range(522)]  # two full 256-leaf subtrees and a partial one
    tree = MerkleTree(leaves)
    upper = {key: split_hashes(tile_bytes(tree, *key), key[2]) for key in upper_tiles(522)}
    assert set(upper) == {(1, 0, 2)}
    checkpoint = note.Checkpoint("o", 522, tree.root(), [], "")
    assert check_tiles(leaves, upper, checkpoint).root() == tree.root()
    upper[(1, 0, 2)] = [upper[(1, 0, 2)][0], b"\x00" * 32]
    with pytest.raises(PublicCheckError) as exc:
        check_tiles(leaves, upper, checkpoint)
    assert exc.value.seq == 256 and "entries 256–511" in str(exc.value)
    with pytest.raises(PublicCheckError, match="^tiles: 521 leaf hashes for a checkpoint of 522$"):
        check_tiles(leaves[:-1], {}, checkpoint)
