"""Signed notes, checkpoints, cosignatures and hash tiles against the specs' published examples and vectors."""

import base64
import hashlib
import struct

import pytest
from nacl.signing import SigningKey

from services.records.log import note, tiles
from services.records.log.merkle import MerkleTree, leaf_hash, node_hash

# golang.org/x/mod/sumdb/note's test vectors (note_test.go): key, text and the exact signed note.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIGNED = (
    GO_TEXT
    + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def go_signing_key():
    raw = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert raw[0] == note.ED25519
    return SigningKey(raw[1:])


def test_go_vector_key_id_vkey_and_signature():
    key = go_signing_key()
    assert note.log_vkey("PeterNeumann", key) == GO_VKEY
    assert note.key_id("PeterNeumann", note.ED25519, bytes(key.verify_key)).hex() == "c74f20a3"
    assert GO_TEXT + "\n" + note.sign_note(GO_TEXT, "PeterNeumann", key) == GO_SIGNED


def test_go_vector_parses_and_verifies():
    verifier = note.parse_vkey(GO_VKEY)
    text, signatures = note.parse_note(GO_SIGNED.encode("utf-8"))
    assert text == GO_TEXT and [s.name for s in signatures] == ["PeterNeumann"]
    note.verify_note_signature(text, signatures, verifier)
    with pytest.raises(note.NoteError):
        note.verify_note_signature(text.replace("answer", "Answer"), signatures, verifier)


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # Go's wrong-length key
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # Go's unknown algorithm
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # ID not the key's
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_bad_verifier_keys_are_refused(bad):
    with pytest.raises(note.NoteError):
        note.parse_vkey(bad)


def test_key_id_is_the_spec_formula_for_both_types():
    key = SigningKey(b"\x07" * 32)
    public = bytes(key.verify_key)
    origin = "cadre-selection.example/records"
    assert note.key_id(origin, 0x01, public) == hashlib.sha256(origin.encode() + b"\n\x01" + public).digest()[:4]
    assert note.key_id(origin, 0x04, public) == hashlib.sha256(origin.encode() + b"\n\x04" + public).digest()[:4]
    assert note.parse_vkey(note.witness_vkey(origin, key)).type == note.COSIGNATURE_V1


def test_checkpoint_body_is_the_spec_example():
    # c2sp.org/tlog-checkpoint's and tlog-witness's example checkpoint body.
    root = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    text = note.checkpoint_text("example.com/behind-the-sofa", 20852163, root)
    assert text == "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    parsed = note.parse_checkpoint(text)
    assert (parsed.origin, parsed.size, parsed.root) == ("example.com/behind-the-sofa", 20852163, root)


@pytest.mark.parametrize(
    "text",
    [
        "o\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n1\nAAAA\n",
        "o\n1\n",
        "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    ],
)
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(note.NoteError):
        note.parse_checkpoint(text)


def test_cosignature_message_is_the_spec_example():
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert note.cosignature_message(text, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_spec_example_cosignature_line_has_the_timestamped_layout():
    # tlog-cosignature's example line: 4-byte key ID, 8-byte big-endian time, 64-byte signature.
    line = (
        "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
        "qhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
    )
    _, [signature] = note.parse_note("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n" + line)
    assert len(signature.raw) == 72 and struct.unpack(">Q", signature.raw[:8])[0] == 1679315147


def test_cosign_and_verify_round_trip_and_tamper():
    log_key, witness_key = SigningKey(b"\x01" * 32), SigningKey(b"\x02" * 32)
    origin, name = "cadre-selection.example/records", "cadre-selection.example/witness"
    cosig = note.cosign(note.checkpoint_text(origin, 3, b"\x09" * 32), name, witness_key, 1700000000)
    signed = note.signed_checkpoint(origin, 3, b"\x09" * 32, log_key, [cosig])
    text, signatures = note.parse_note(signed)
    note.verify_note_signature(text, signatures, note.parse_vkey(note.log_vkey(origin, log_key)))
    witness = note.parse_vkey(note.witness_vkey(name, witness_key))
    assert note.verify_cosignature(text, signatures, witness) == 1700000000
    forged = text.replace("\n3\n", "\n4\n")
    with pytest.raises(note.NoteError):
        note.verify_cosignature(forged, signatures, witness)
    with pytest.raises(note.NoteError):  # the log key cannot pass for the witness (type byte differs)
        note.verify_cosignature(text, signatures, note.parse_vkey(note.log_vkey(name, witness_key)))


@pytest.mark.parametrize(
    "bad",
    [
        "no blank line\n\u2014 a AAAAAAA=\n",
        "t\n\n- a AAAAAAA=\n",
        "t\n\n\u2014 a AA\n",
        "t\n\n",
        "t\x01\n\n\u2014 a AAAAAAA=\n",
    ],
)
def test_malformed_notes_are_refused(bad):
    with pytest.raises(note.NoteError):
        note.parse_note(bad)


# -- tiles (c2sp.org/tlog-tiles) -----------------------------------------------------------------


def test_index_encoding_is_the_spec_example():
    assert tiles.encode_index(1234067) == "x001/x234/067"
    assert tiles.encode_index(0) == "000" and tiles.encode_index(1000) == "x001/000"
    assert tiles.tile_path(0, 1234067, 5) == "tile/0/x001/x234/067.p/5"
    assert tiles.tile_path(2, 7) == "tile/2/007"


@pytest.mark.parametrize(
    "level, rest, expected",
    [
        ("0", "x001/x234/067", (0, 1234067, 256)),
        ("1", "000.p/17", (1, 0, 17)),
        ("63", "999", (63, 999, 256)),
    ],
)
def test_tile_paths_parse(level, rest, expected):
    assert tiles.parse_tile_path(level, rest) == expected


@pytest.mark.parametrize(
    "level, rest",
    [
        ("00", "000"),
        ("64", "000"),
        ("0", "0"),
        ("0", "x000/001"),
        ("0", "001.p/256"),
        ("0", "001.p/0"),
        ("0", "001.p/05"),
        ("0", "x1/001"),
        ("0", "001/002"),
        ("-1", "000"),
        ("0", "001.p/"),
        ("0", "/".join(["x999"] * 7 + ["999"])),
    ],
)
def test_non_canonical_tile_paths_are_refused(level, rest):
    with pytest.raises(tiles.TileError):
        tiles.parse_tile_path(level, rest)


def test_tiles_of_a_tree_of_70000_are_the_spec_example():
    # "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0 tile of
    # width 112, one full level 1 tile, one partial level 1 tile of width 17, and one partial level 2
    # tile of width 1."
    level0 = tiles.level0_tiles(70000)
    assert len(level0) == 274 and level0[-1] == (273, 112) and all(w == 256 for _, w in level0[:-1])
    assert tiles.upper_tiles(70000) == [(1, 0, 256), (1, 1, 17), (2, 0, 1)]
    assert tiles.upper_tiles(256) == [(1, 0, 1)]


def test_tile_contents_are_rfc6962_hashes():
    leaves = [leaf_hash(str(i).encode()) for i in range(600)]
    tree = MerkleTree(leaves)
    assert tiles.tile_bytes(tree, 0, 1, 256) == b"".join(leaves[256:512])
    assert tiles.tile_bytes(tree, 0, 2, 88) == b"".join(leaves[512:600])
    level1 = tiles.split_hashes(tiles.tile_bytes(tree, 1, 0, 2), 2)
    assert level1 == [tree.root(256), MerkleTree(leaves[256:512]).root()]
    assert node_hash(level1[0], level1[1]) == tree.root(512)
    with pytest.raises(tiles.TileError):
        tiles.tile_bytes(tree, 0, 2, 89)  # beyond the tree
    with pytest.raises(tiles.TileError):
        tiles.tile_bytes(tree, 1, 0, 3)


# --- what a mutation run showed no test pinned down (docs/TESTING.md): each refusal by its text, the limits

ROOT_LINE = base64.b64encode(b"\x00" * 32).decode()
BODY = f"example.test/log\n5\n{ROOT_LINE}\n"
SIG = "\u2014 example.test/log " + base64.b64encode(b"\x01\x02\x03\x04" + b"\x05" * 64).decode() + "\n"


@pytest.mark.parametrize(
    "raw,message",
    [
        (b"\xff\n", "a note is UTF-8"),
        ("no newline", "a note ends in a newline"),
        ("a\tb\n", "a note holds no control character but newline"),
        ("one paragraph\n", "a note has a blank line before its signatures"),
        (BODY + "\n- example.test/log AAAA\n", "a signature line starts with an em dash and a space"),
        (BODY + "\n\u2014 example.test/log\n", "a signature line is '— <name> <base64>'"),
        (
            BODY + "\n\u2014 example.test/log " + base64.b64encode(b"\x01\x02\x03\x04").decode() + "\n",
            "a signature holds a key ID and a signature",
        ),
        (BODY + "\n", "a signed note has at least one signature"),
        (BODY + "\n" + SIG * 65, "the note has too many signatures"),
        (b"x" * (note.MAX_NOTE_BYTES + 1), "the note is too large"),
        ("x" * (note.MAX_NOTE_BYTES + 1), "the note is too large"),
    ],
)
def test_each_malformed_note_is_named(raw, message):
    with pytest.raises(note.NoteError) as exc:
        note.parse_note(raw)
    assert str(exc.value) == message


def test_note_limits_are_inclusive_and_signature_lines_are_kept_whole():
    text, signatures = note.parse_note(BODY + "\n" + SIG * 64)
    assert text == BODY and len(signatures) == 64 and signatures[0].line == SIG
    one_byte = "\u2014 example.test/log " + base64.b64encode(b"\x01\x02\x03\x04\x05").decode() + "\n"
    assert note.parse_note(BODY + "\n" + one_byte)[1][0].raw == b"\x05"
    filler = note.MAX_NOTE_BYTES - len((BODY + "\n" + SIG).encode())
    big = BODY + "e" * (filler - 1) + "\n\n" + SIG  # one extension line that fills the note exactly
    assert len(big.encode()) == note.MAX_NOTE_BYTES and note.parse_note(big.encode())[0].endswith("e\n")


@pytest.mark.parametrize(
    "text,message",
    [
        ("example.test/log\n5\n", "a checkpoint has an origin, a size and a root hash line"),
        (f"example.test/log\n05\n{ROOT_LINE}\n", "a checkpoint size is a decimal with no leading zeroes"),
        (f"example.test/log\n{'1' * 20}\n{ROOT_LINE}\n", "a checkpoint size is a decimal with no leading zeroes"),
        (
            "example.test/log\n5\n" + base64.b64encode(b"\x00" * 31).decode() + "\n",
            "a checkpoint root hash is 32 bytes",
        ),
    ],
)
def test_each_malformed_checkpoint_is_named(text, message):
    with pytest.raises(note.NoteError) as exc:
        note.parse_checkpoint(text)
    assert str(exc.value) == message


def test_a_checkpoint_keeps_its_extensions_and_text_and_the_largest_size():
    text = f"example.test/log\n{'9' * 19}\n{ROOT_LINE}\next one\next two\n"
    checkpoint = note.parse_checkpoint(text)
    assert checkpoint.size == int("9" * 19) and checkpoint.extensions == ("ext one", "ext two")
    assert checkpoint.text == text
