"""Every refusal of the log's formats names what is wrong, word for word: these messages are what the anonymous
verifier prints to whoever checks the record (`scripts/verify_log.py`), so a proof, checkpoint or key that
fails must say which of its parts failed and why, not merely fail."""

import base64
import re
import struct

import pytest
from nacl.signing import SigningKey

from services.records.log import checkpoint as cp
from services.records.log import note, tiles
from services.records.log.merkle import MerkleTree, ProofError, check_consistency, leaf_hash, root_from_inclusion_proof

KEY = SigningKey(bytes(range(32)))
PUBLIC = cp.public_key_b64(KEY)
ROOT = "ab" * 32
TIME = "2026-12-02T08:00:00.000000Z"


def slug(message):
    """A test id of plain words: mutmut passes ids on a command line, where a newline or a quote breaks."""
    return re.sub(r"[^a-z0-9]+", "-", message.lower()).strip("-")


def refused(error, call, *args):
    with pytest.raises(error) as info:
        call(*args)
    assert type(info.value) is error
    return str(info.value)


def signed(**changes):
    return {**cp.sign_checkpoint(KEY, 3, ROOT, TIME), **changes}


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


# -- the checkpoint of API.md (cadre-log-v1) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "checkpoint, message",
    [
        ([], "a checkpoint is a JSON object"),
        ({"size": 3, "timestamp": TIME}, "checkpoint lacks root, key_id, signature"),
        (signed(size=-1), "size must be a non-negative integer"),
        (signed(size=True), "size must be a non-negative integer"),
        (signed(root="AB" * 32), "root must be 64 lowercase hex characters"),
        (signed(timestamp=20261202), "timestamp must be an RFC 3339 string"),
        (signed(timestamp="2026-12-02T08:00:00Z\nsize 4"), "timestamp must be an RFC 3339 string"),
        (signed(key_id="0" * 16), "checkpoint key_id does not name this public key"),
        (signed(signature=64), "signature must be a base64 string"),
        (signed(signature="not base64!"), "signature is not valid base64"),
        (signed(signature=b64(bytes(63))), "signature must be 64 bytes, got 63"),
        (signed(signature=b64(bytes(64))), "checkpoint signature does not verify"),
        (signed(timestamp="2026-12-02T08:00:01.000000Z"), "checkpoint signature does not verify"),
    ],
    ids=lambda value: slug(value) if isinstance(value, str) else "",
)
def test_a_checkpoint_refused_says_which_part(checkpoint, message):
    assert refused(cp.CheckpointError, cp.check_checkpoint, checkpoint, PUBLIC) == message
    assert cp.verify_checkpoint(checkpoint, PUBLIC) is False


def test_a_public_key_of_the_wrong_length_is_refused_for_its_length():
    short = b64(bytes(KEY.verify_key)[:31])
    assert refused(cp.CheckpointError, cp.check_checkpoint, signed(), short) == "public key must be 32 bytes, got 31"
    assert refused(cp.CheckpointError, cp.key_id_of, short) == "public key must be 32 bytes, got 31"
    assert refused(cp.CheckpointError, cp.signing_key_from_b64, b64(bytes(33))) == (
        "signing key seed must be 32 bytes, got 33"
    )


def test_a_sound_checkpoint_verifies_and_round_trips_its_key():
    assert cp.verify_checkpoint(signed(), PUBLIC) is True
    assert cp.signing_key_to_b64(cp.signing_key_from_b64(cp.signing_key_to_b64(KEY))) == b64(bytes(KEY))
    assert cp.key_id_of(PUBLIC) == cp.key_id_of(bytes(KEY.verify_key)) == signed()["key_id"]


# -- RFC 9162 proofs ----------------------------------------------------------------------------------------


def tree(size):
    built = MerkleTree()
    for n in range(size):
        built.append(leaf_hash(f"entry {n}".encode()))
    return built


@pytest.mark.parametrize(
    "args, message",
    [
        ((-1, 4, bytes(32), bytes(32), []), "first size must be a non-negative integer"),
        ((1, "4", bytes(32), bytes(32), []), "second size must be a non-negative integer"),
        ((1, 4, "zz", bytes(32), []), "first root is not hex"),
        ((1, 4, bytes(32), bytes(31), []), "second root is not a 32-byte hash"),
        ((1, 4, bytes(32), bytes(32), [bytes(32), "00"]), "path[1] is not a 32-byte hash"),
        ((5, 4, bytes(32), bytes(32), []), "size 5 is after size 4"),
        ((4, 4, bytes(32), bytes(32), [bytes(32)]), "equal sizes take an empty proof"),
        ((4, 4, bytes(32), b"\x01" * 32, []), "equal sizes with different roots"),
        ((0, 4, bytes(32), bytes(32), [bytes(32)]), "a proof from the empty tree must be empty"),
        ((3, 4, bytes(32), bytes(32), []), "the proof is empty"),
    ],
    ids=lambda value: slug(value) if isinstance(value, str) else "",
)
def test_a_consistency_proof_refused_says_which_part(args, message):
    assert refused(ProofError, check_consistency, *args) == message


@pytest.mark.parametrize(
    "args, message",
    [
        ((bytes(32), -1, 4, []), "index must be a non-negative integer"),
        ((bytes(32), 0, None, []), "size must be a non-negative integer"),
        ((bytes(32), 4, 4, []), "index 4 is beyond size 4"),
        (("00" * 31, 0, 4, []), "leaf hash is not a 32-byte hash"),
        ((bytes(32), 0, 4, [bytes(32), "xy"]), "path[1] is not hex"),
        ((bytes(32), 0, 4, [bytes(32)] * 3), "the path is longer than the tree is tall"),
        ((bytes(32), 0, 4, [bytes(32)]), "the path is shorter than the tree is tall"),
    ],
    ids=lambda value: slug(value) if isinstance(value, str) else "",
)
def test_an_inclusion_proof_refused_says_which_part(args, message):
    assert refused(ProofError, root_from_inclusion_proof, *args) == message


def test_sound_proofs_lead_to_the_roots():
    log = tree(7)
    for index in range(7):
        path = log.inclusion_proof(index, 7)
        assert root_from_inclusion_proof(log.leaf(index), index, 7, path) == log.root(7)
    for first in range(8):
        check_consistency(first, 7, log.root(first), log.root(7), log.consistency_proof(first, 7))


# -- signed notes and verifier keys (C2SP signed-note, tlog-checkpoint, tlog-cosignature) -----------------


def test_a_verifier_key_refused_says_which_part():
    good = note.log_vkey("example.org/log", KEY)
    name, hex_id, key64 = good.split("+", 2)
    cases = {
        None: "a verifier key is <name>+<hex key ID>+<base64 key>",
        "example.org/log+c74f20a3": "a verifier key is <name>+<hex key ID>+<base64 key>",
        f"{name}+C74F20A3+{key64}": "a verifier key's ID is 8 lowercase hex digits",
        f"{name}+{hex_id}+not*base64": "verifier key is not valid base64",
        f"{name}+{hex_id}+{b64(bytes([note.ED25519]) + bytes(31))}": (
            "a verifier key is type 0x01 or 0x04 and a 32-byte Ed25519 key"
        ),
        f"{name}+{hex_id}+{b64(bytes([0x02]) + bytes(KEY.verify_key))}": (
            "a verifier key is type 0x01 or 0x04 and a 32-byte Ed25519 key"
        ),
        f"{name}+00000000+{key64}": "the verifier key's ID is not the hash of its name and key",
    }
    for text, message in cases.items():
        assert refused(note.NoteError, note.parse_vkey, text) == message, text
    parsed = note.parse_vkey(good)
    assert (parsed.name, parsed.key_id.hex(), parsed.type, parsed.public_key) == (
        name,
        hex_id,
        note.ED25519,
        bytes(KEY.verify_key),
    )


def test_a_note_signature_refused_names_the_key():
    origin = "example.org/log"
    text = note.checkpoint_text(origin, 3, bytes(32))
    whole = text + "\n" + note.sign_note(text, origin, KEY)
    body, signatures = note.parse_note(whole)
    log_key = note.parse_vkey(note.log_vkey(origin, KEY))
    note.verify_note_signature(body, signatures, log_key)
    other = note.parse_vkey(note.log_vkey(origin, SigningKey(bytes(32))))
    assert refused(note.NoteError, note.verify_note_signature, body, signatures, other) == (
        f"no signature by {origin}+{other.key_id.hex()}"
    )
    witness = note.parse_vkey(note.witness_vkey(origin, KEY))
    assert refused(note.NoteError, note.verify_note_signature, body, signatures, witness) == "not a note signing key"
    assert refused(note.NoteError, note.verify_note_signature, body.replace("3", "4", 1), signatures, log_key) == (
        f"the signature by {origin} does not verify"
    )


def test_a_cosignature_refused_names_the_witness():
    origin, name = "example.org/log", "example.org/witness"
    witness_key = SigningKey(bytes([7]) * 32)
    text = note.checkpoint_text(origin, 3, bytes(32))
    witness = note.parse_vkey(note.witness_vkey(name, witness_key))
    line = note.cosign(text, name, witness_key, 1_700_000_000)
    _, signatures = note.parse_note(text + "\n" + note.sign_note(text, origin, KEY) + line)
    assert note.verify_cosignature(text, signatures, witness) == 1_700_000_000
    assert refused(
        note.NoteError, note.verify_cosignature, text, signatures, note.parse_vkey(note.log_vkey(origin, KEY))
    ) == ("not a cosignature/v1 key")
    stranger = note.parse_vkey(note.witness_vkey(name, SigningKey(bytes([8]) * 32)))
    assert refused(note.NoteError, note.verify_cosignature, text, signatures, stranger) == f"no cosignature by {name}"
    assert refused(note.NoteError, note.verify_cosignature, text.replace("3", "4", 1), signatures, witness) == (
        f"the cosignature by {name} does not verify"
    )
    sig = next(s for s in signatures if s.key_id == witness.key_id)
    beyond = [sig._replace(raw=struct.pack(">Q", 2**63) + sig.raw[8:])]
    assert refused(note.NoteError, note.verify_cosignature, text, beyond, witness) == (
        f"the cosignature by {name} has a timestamp beyond 2^63 - 1"
    )
    short = [sig._replace(raw=sig.raw[:40])]
    assert refused(note.NoteError, note.verify_cosignature, text, short, witness) == (
        f"the cosignature by {name} is not a timestamp and an Ed25519 signature"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("example.org/log\n3\n", "a checkpoint has an origin, a size and a root hash line"),
        (f"example.org/log\n03\n{b64(bytes(32))}\n", "a checkpoint size is a decimal with no leading zeroes"),
        (f"example.org/log\n3\n{b64(bytes(31))}\n", "a checkpoint root hash is 32 bytes"),
        ("example.org/log\n3\n*\n", "root hash is not valid base64"),
        (f"example.org/log\n3\n{b64(bytes(32))}\n\nx\n", "a checkpoint holds no empty line"),
        ("example.org/log\n3", "a note text ends in a newline"),
    ],
    ids=lambda value: slug(value) if "\n" not in value else "",
)
def test_a_checkpoint_note_refused_says_which_line(text, message):
    assert refused(note.NoteError, note.parse_checkpoint, text) == message


def test_a_cosignature_at_the_last_representable_second_verifies():
    origin, name = "example.org/log", "example.org/witness"
    witness_key = SigningKey(bytes([9]) * 32)
    text = note.checkpoint_text(origin, 3, bytes(32))
    line = note.cosign(text, name, witness_key, 2**63 - 1)
    _, signatures = note.parse_note(text + "\n" + note.sign_note(text, origin, KEY) + line)
    witness = note.parse_vkey(note.witness_vkey(name, witness_key))
    assert note.verify_cosignature(text, signatures, witness) == 2**63 - 1


def test_a_note_splits_at_its_last_blank_line_and_takes_its_largest_size():
    origin = "example.org/log"
    text = "first paragraph\n\nsecond paragraph\n"  # a note's text may hold a blank line of its own
    body, signatures = note.parse_note(text + "\n" + note.sign_note(text, origin, KEY))
    assert body == text and [s.name for s in signatures] == [origin]
    note.verify_note_signature(body, signatures, note.parse_vkey(note.log_vkey(origin, KEY)))
    signature = note.sign_note("x\n", origin, KEY)
    filler = "x" * (note.MAX_NOTE_BYTES - len("\n\n" + signature)) + "\n"
    largest = filler + "\n" + note.sign_note(filler, origin, KEY)
    assert len(largest) == note.MAX_NOTE_BYTES
    assert note.parse_note(largest)[0] == filler
    assert refused(note.NoteError, note.parse_note, "x" + largest) == "the note is too large"
    assert refused(note.NoteError, note.parse_note, ("x" + largest).encode()) == "the note is too large"
    assert refused(note.NoteError, note.parse_note, f"{text}\n— {origin} *\n") == "signature is not valid base64"
    assert refused(note.NoteError, note.parse_note, f"{text}\n— {origin}  AAAA\n") == (
        "a signature line is '— <name> <base64>'"
    )


@pytest.mark.parametrize(
    "level, width, message",
    [
        (-1, 256, "a tile level is between 0 and 63"),
        (64, 256, "a tile level is between 0 and 63"),
        (0, 0, "a tile is 1 to 256 hashes wide"),
        (0, 257, "a tile is 1 to 256 hashes wide"),
    ],
    ids=["level-below-0", "level-above-63", "width-0", "width-257"],
)
def test_a_tile_path_out_of_range_is_refused(level, width, message):
    assert refused(tiles.TileError, tiles.tile_path, level, 0, width) == message


def test_tile_paths_at_the_edges_of_their_ranges():
    assert tiles.tile_path(63, 0) == "tile/63/000"
    assert tiles.tile_path(0, 1, 1) == "tile/0/001.p/1"
    assert tiles.tile_path(0, 1, 255) == "tile/0/001.p/255"


# -- the anonymous verifier's reading of a signed checkpoint note -----------------------------------------

LOG = "example.org/records"
WITNESSES = [SigningKey(bytes([n]) * 32) for n in (11, 12)]


def checkpoint_note(size=3, cosigned_at=(1_700_000_000, 1_700_000_000), origin=LOG):
    text = note.checkpoint_text(origin, size, bytes(32))
    lines = "".join(
        note.cosign(text, f"example.org/witness/{n}", key, at)
        for n, (key, at) in enumerate(zip(WITNESSES, cosigned_at))
        if at is not None
    )
    return (text + "\n" + note.sign_note(text, origin, KEY) + lines).encode()


def witness_verifiers():
    return [note.parse_vkey(note.witness_vkey(f"example.org/witness/{n}", key)) for n, key in enumerate(WITNESSES)]


def read(note_bytes, required=1, now=1_700_000_100):
    from services.records.log.verify_core import check_signed_note

    return check_signed_note(note_bytes, note.parse_vkey(note.log_vkey(LOG, KEY)), witness_verifiers(), required, now)


def test_the_verifier_counts_every_witness_that_cosigned_past_one_that_did_not():
    checkpoint, vouched = read(checkpoint_note(cosigned_at=(None, 1_700_000_000)), required=1)
    assert checkpoint.size == 3 and vouched == [("example.org/witness/1", 1_700_000_000)]
    _, vouched = read(checkpoint_note(), required=2)
    assert [name for name, _ in vouched] == ["example.org/witness/0", "example.org/witness/1"]


def test_the_verifier_names_each_fault_of_a_checkpoint_note():
    from services.records.log.verify_core import MAX_CLOCK_SKEW_SECONDS, PublicCheckError

    now = 1_700_000_000
    assert refused(PublicCheckError, read, b"no newline") == "checkpoint note: a note ends in a newline"
    assert refused(PublicCheckError, read, checkpoint_note(origin="example.org/other")) == (
        f"checkpoint note: origin 'example.org/other' is not the log's {LOG!r}"
    )
    assert refused(PublicCheckError, read, checkpoint_note(cosigned_at=(None, None)), 1) == (
        "cosignatures: 0 of the 1 witnesses required vouch for checkpoint 3"
    )
    at_the_edge = checkpoint_note(cosigned_at=(now + MAX_CLOCK_SKEW_SECONDS, None))
    assert read(at_the_edge, 1, now)[1] == [("example.org/witness/0", now + MAX_CLOCK_SKEW_SECONDS)]
    ahead = checkpoint_note(cosigned_at=(now + MAX_CLOCK_SKEW_SECONDS + 1, None))
    assert refused(PublicCheckError, read, ahead, 1, now) == (
        "cosignature: example.org/witness/0 dates its cosignature in the future"
    )
    text = note.checkpoint_text(LOG, 3, bytes(32))
    forged = (text + "\n" + note.sign_note(text, LOG, SigningKey(bytes([5]) * 32))).encode()
    assert refused(PublicCheckError, read, forged).startswith("checkpoint note: no signature by " + LOG + "+")
    other = note.checkpoint_text(LOG, 4, bytes(32))  # witness 0's cosignature of another checkpoint
    moved = (
        text + "\n" + note.sign_note(text, LOG, KEY) + note.cosign(other, "example.org/witness/0", WITNESSES[0], now)
    ).encode()
    assert refused(PublicCheckError, read, moved) == (
        "cosignature: the cosignature by example.org/witness/0 does not verify"
    )


# -- the anonymous verifier's rebuild of the tree from the tiles ------------------------------------------


def leaves(count):
    return [leaf_hash(n.to_bytes(4, "big")) for n in range(count)]


def tile_checkpoint(log):
    return note.Checkpoint(LOG, log.size, log.root(), (), "")


def test_the_tiles_agree_with_a_previous_checkpoint_of_the_same_size_or_name_the_fork():
    from services.records.log.verify_core import PublicCheckError, check_tiles

    hashes = leaves(5)
    log = MerkleTree(hashes)
    assert check_tiles(hashes, {}, tile_checkpoint(log), {"size": 5, "root": log.root().hex()}).size == 5
    assert check_tiles(hashes, {}, tile_checkpoint(log), {"size": 3, "root": log.root(3).hex()}).size == 5
    assert refused(PublicCheckError, check_tiles, hashes, {}, tile_checkpoint(log), {"size": 6, "root": ROOT}) == (
        "consistency: the log shrank from 6 to 5 entries"
    )
    assert refused(PublicCheckError, check_tiles, hashes, {}, tile_checkpoint(log), {"size": 3, "root": ROOT}) == (
        "consistency: the first 3 entries are not those of the checkpoint verified last time (a forked history: split view)"
    )
    assert refused(PublicCheckError, check_tiles, hashes[:4], {}, tile_checkpoint(log)) == (
        "tiles: 4 leaf hashes for a checkpoint of 5"
    )


def test_a_wrong_hash_in_the_second_tile_of_level_1_names_its_entries():
    """Level 1's tile 1 holds the hashes of entries 65,536 on, 256 at a time: the verifier names the range
    of the one that disagrees (its place counted from the tile's number, not from zero)."""
    from services.records.log.verify_core import PublicCheckError, check_tiles

    hashes = leaves(65_536 + 512)
    log = MerkleTree(hashes)
    good = [log.stored_range(8, 256, 1), log.stored_range(8, 257, 1)]
    assert check_tiles(hashes, {(1, 1, 2): good}, tile_checkpoint(log)).size == len(hashes)
    with pytest.raises(PublicCheckError) as info:
        check_tiles(hashes, {(1, 1, 2): [good[0], bytes(32)]}, tile_checkpoint(log))
    assert str(info.value) == "tiles: tile/1/1 hash 1 is not the hash of entries 65792–66047 in the tiles below"
    assert info.value.seq == 65_792


TILE_PATHS = [
    ("64", "000", "L is a decimal from 0 to 63 with no leading zeroes"),
    ("01", "000", "L is a decimal from 0 to 63 with no leading zeroes"),
    ("0", "000.p/256", "W is a decimal from 1 to 255 with no leading zeroes"),
    ("0", "000.p/07", "W is a decimal from 1 to 255 with no leading zeroes"),
    ("0", "000.p/1.p/2", "W is a decimal from 1 to 255 with no leading zeroes"),
    ("0", "x001/x234/67", "N is 3-digit path elements, all but the last starting with x"),
    ("0", "001/x234/067", "N is 3-digit path elements, all but the last starting with x"),
    ("0", "x001/234/067", "N is 3-digit path elements, all but the last starting with x"),
    ("0", "x072/x057/x594/x037/x927/x936", "N is 3-digit path elements, all but the last starting with x"),
    ("0", "x072/x057/x594/x037/x927/936", "N is beyond any tree of 2^64 leaves"),
    ("0", "x000/001", "N has leading zero elements"),
]


@pytest.mark.parametrize("level, rest, message", TILE_PATHS, ids=[slug(f"{lv} {r}") for lv, r, _ in TILE_PATHS])
def test_a_tile_path_that_is_not_canonical_is_refused_for_its_part(level, rest, message):
    assert refused(tiles.TileError, tiles.parse_tile_path, level, rest) == message


def test_canonical_tile_paths_read_back():
    assert tiles.parse_tile_path("0", "x001/x234/067") == (0, 1_234_067, 256)
    assert tiles.parse_tile_path("63", "000.p/255") == (63, 0, 255)
    largest = tiles.MAX_INDEX - 1  # 72057594037927935
    assert tiles.parse_tile_path("1", tiles.encode_index(largest) + ".p/1") == (1, largest, 1)
    for bad in (-1, True, "1", 1.0):
        assert refused(tiles.TileError, tiles.encode_index, bad) == "a tile index is a non-negative integer"
    assert tiles.encode_index(0) == "000"


def test_a_cosignature_time_is_any_second_from_0_to_2_63_minus_1():
    text = note.checkpoint_text("example.org/log", 3, bytes(32))
    assert note.cosignature_message(text, 0).startswith(b"cosignature/v1\ntime 0\n")
    for bad in (-1, 2**63, True, "1", 1.5):
        assert refused(note.NoteError, note.cosignature_message, text, bad) == (
            "a cosignature time is a POSIX timestamp below 2^63"
        )


def test_a_consistency_proof_that_does_not_lead_to_the_roots_says_which():
    log = tree(7)
    proof = log.consistency_proof(3, 7)
    args = (3, 7, log.root(3), log.root(7))
    assert refused(ProofError, check_consistency, *args, proof + [bytes(32)] * 3) == (
        "the proof is longer than the tree is tall"
    )
    assert refused(ProofError, check_consistency, *args, proof[:-1]) == "the proof is shorter than the tree is tall"
    assert refused(ProofError, check_consistency, 3, 7, bytes(32), log.root(7), proof) == (
        "the proof does not lead to the first root"
    )
    assert refused(ProofError, check_consistency, 3, 7, log.root(3), bytes(32), proof) == (
        "the proof does not lead to the second root"
    )
