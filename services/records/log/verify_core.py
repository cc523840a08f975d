"""The records-log verifier's checks as pure functions: listing, chain, root, signature, consistency, and the
public ones over the C2SP signed note, its cosignatures and the hash tiles; dossiers offline."""

from collections import namedtuple

from . import note
from .checkpoint import CheckpointError, check_checkpoint
from .entry import (
    ENTRY_FIELDS,
    GENESIS_PREV_HASH,
    EntryError,
    is_hex_hash,
    leaf_hash_of,
)
from .merkle import MerkleTree, ProofError, check_consistency, verify_inclusion

VerifyResult = namedtuple("VerifyResult", "ok first_bad_seq message")


def _bad(seq, message):
    return VerifyResult(False, seq, message)


def check_listing(entries):
    """Check seq continuity from 0, every leaf hash and the prev_hash chain.

    Returns ``(leaf_hashes, None)`` when all hold, else ``(None, VerifyResult)``
    naming the first position where the listing stops being a valid log.
    """
    leaf_hashes = []
    previous = GENESIS_PREV_HASH
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            return None, _bad(position, f"entry at position {position} is not an object")
        missing = [name for name in ENTRY_FIELDS if name not in entry]
        if missing:
            return None, _bad(position, f"seq {position} lacks {', '.join(missing)}")
        if entry["seq"] != position or isinstance(entry["seq"], bool):
            # A removed or reordered entry shows up as the first seq out of place.
            return None, _bad(position, f"expected seq {position}, found {entry['seq']!r}")
        claimed = entry["leaf_hash"]
        try:
            recomputed = leaf_hash_of(entry)
        except (TypeError, ValueError, EntryError) as error:
            return None, _bad(position, f"seq {position} cannot be canonicalised: {error}")
        if claimed != recomputed:
            return None, _bad(position, f"seq {position}: leaf_hash does not match its content")
        if entry["prev_hash"] != previous:
            return None, _bad(
                position,
                f"seq {position}: prev_hash does not match seq {position - 1}'s leaf_hash"
                if position
                else "seq 0: prev_hash is not 64 zeros",
            )
        leaf_hashes.append(bytes.fromhex(recomputed))
        previous = recomputed
    return leaf_hashes, None


def verify_log(entries, checkpoint, public_key_b64, previous_checkpoint=None, consistency_path=None):
    """Check a full listing against a signed checkpoint and, if given, the checkpoint seen before.

    ``consistency_path`` (hex strings) proves ``previous_checkpoint``'s tree is a prefix of
    ``checkpoint``'s. Returns ``VerifyResult(ok, first_bad_seq, message)``; ``first_bad_seq``
    is None when the fault is not in one entry (a forged checkpoint, a rewritten history).
    """
    leaf_hashes, failure = check_listing(entries)
    if failure:
        return failure
    try:
        check_checkpoint(checkpoint, public_key_b64)
    except CheckpointError as error:
        return _bad(None, f"checkpoint: {error}")
    size, root = checkpoint["size"], checkpoint["root"]
    if size > len(leaf_hashes):
        # Entries the log once signed for are gone from the end of the listing.
        return _bad(len(leaf_hashes), f"checkpoint covers {size} entries, the listing has {len(leaf_hashes)}")
    tree = MerkleTree(leaf_hashes)
    if tree.root(size).hex() != root:
        return _bad(None, f"root: the listing's first {size} entries do not hash to the checkpoint's root")

    consistency_note = "no previous checkpoint"
    if previous_checkpoint is not None:
        failure = _check_previous(previous_checkpoint, checkpoint, public_key_b64, consistency_path, tree)
        if failure:
            return failure
        consistency_note = f"consistent with previous size {previous_checkpoint['size']}"
    return VerifyResult(
        True,
        None,
        f"{len(leaf_hashes)} entries, checkpoint size {size} root {root[:16]}… signed by {checkpoint['key_id']}; "
        f"{consistency_note}",
    )


def _check_previous(previous, current, public_key_b64, consistency_path, tree):
    try:
        # A previous checkpoint the current key did not sign means the key changed under us.
        check_checkpoint(previous, public_key_b64)
    except CheckpointError as error:
        return _bad(None, f"consistency: previous checkpoint does not verify with the current key ({error})")
    old_size, old_root = previous["size"], previous["root"]
    if old_size > current["size"]:
        return _bad(None, f"consistency: the log shrank from {old_size} to {current['size']} entries")
    if old_size > 0 and old_size < current["size"] and not consistency_path:
        return _bad(None, "consistency: no consistency proof was given")
    try:
        check_consistency(old_size, current["size"], old_root, current["root"], consistency_path or [])
    except ProofError as error:
        return _bad(None, f"consistency: {old_size} → {current['size']} does not hold ({error})")
    if tree.root(old_size).hex() != old_root:
        # The proof held, yet the listing itself is not the history once signed.
        return _bad(None, f"consistency: the listing's first {old_size} entries differ from the previous checkpoint")
    return None


def check_hex_path(path):
    """True when ``path`` is a list of lowercase hex SHA-256 strings, as the consistency endpoint answers."""
    return isinstance(path, list) and all(is_hex_hash(node) for node in path)


# -- the public checks: signed note, cosignatures, hash tiles (C2SP formats) ------------------------


class PublicCheckError(ValueError):
    """A public check that does not hold; ``seq`` is the first bad entry when one can be named."""

    def __init__(self, message, seq=None):
        super().__init__(message)
        self.seq = seq


# A cosignature dated further ahead than this is refused (tlog-cosignature lets verifiers do so).
MAX_CLOCK_SKEW_SECONDS = 300


def check_signed_note(note_bytes, log_verifier, witness_verifiers, required, now):
    """``(Checkpoint, [(witness name, timestamp)])`` when the log signed the note and at least ``required``
    of ``witness_verifiers`` validly cosigned it; PublicCheckError naming the fault otherwise."""
    try:
        text, signatures = note.parse_note(note_bytes)
        checkpoint = note.parse_checkpoint(text)
    except note.NoteError as error:
        raise PublicCheckError(f"checkpoint note: {error}") from None
    if checkpoint.origin != log_verifier.name:
        raise PublicCheckError(f"checkpoint note: origin {checkpoint.origin!r} is not the log's {log_verifier.name!r}")
    try:
        note.verify_note_signature(text, signatures, log_verifier)
    except note.NoteError as error:
        raise PublicCheckError(f"checkpoint note: {error}") from None
    vouched = []
    for witness in witness_verifiers:
        if note.find_signature(signatures, witness) is None:
            continue
        try:
            timestamp = note.verify_cosignature(text, signatures, witness)
        except note.NoteError as error:
            raise PublicCheckError(f"cosignature: {error}") from None
        if timestamp > now + MAX_CLOCK_SKEW_SECONDS:
            raise PublicCheckError(f"cosignature: {witness.name} dates its cosignature in the future")
        vouched.append((witness.name, timestamp))
    if len(vouched) < required:
        raise PublicCheckError(
            f"cosignatures: {len(vouched)} of the {required} witnesses required vouch for checkpoint {checkpoint.size}"
        )
    return checkpoint, vouched


def check_tiles(leaf_hashes, upper, checkpoint, previous=None):
    """The tree rebuilt from the level-0 tiles' ``leaf_hashes`` against the upper tiles, the checkpoint and the
    checkpoint verified last time (``previous``: ``{"size", "root"}`` with root hex). Returns the tree.

    ``upper`` maps ``(level, n, width)`` to that tile's hashes; a tile that disagrees with the leaves below
    it names the range of entries at fault, which is as close as public data can point.
    """
    tree = MerkleTree(leaf_hashes)
    if tree.size != checkpoint.size:
        raise PublicCheckError(f"tiles: {tree.size} leaf hashes for a checkpoint of {checkpoint.size}")
    for (level, n, width), hashes in sorted(upper.items()):
        height = 8 * level
        for i, value in enumerate(hashes):
            if tree.stored_range(height, n * 256 + i, 1) != value:
                first = (n * 256 + i) << height
                raise PublicCheckError(
                    f"tiles: tile/{level}/{n} hash {i} is not the hash of entries "
                    f"{first}–{first + (1 << height) - 1} in the tiles below",
                    first,
                )
    if tree.root() != checkpoint.root:
        raise PublicCheckError(f"tiles: the root recomputed from the hash tiles is not checkpoint {checkpoint.size}'s")
    if previous is not None:
        old_size, old_root = previous["size"], previous["root"]
        if old_size > tree.size:
            raise PublicCheckError(f"consistency: the log shrank from {old_size} to {tree.size} entries")
        if tree.root(old_size).hex() != old_root:
            raise PublicCheckError(
                f"consistency: the first {old_size} entries are not those of the checkpoint "
                f"verified last time (a forked history: split view)"
            )
    return tree


def check_listing_against_tiles(listed_hashes, tree):
    """The first seq whose listed (and recomputed) leaf hash is not the tiles' one, or None."""
    for seq in range(min(len(listed_hashes), tree.size)):
        if listed_hashes[seq] != tree.leaf(seq):
            return seq
    return None


def check_dossier(dossier, public_key_b64):
    """A saved dossier ``{selection, checkpoint, entries}`` checked with no network: the checkpoint's signature,
    every entry's leaf hash from its content, and its inclusion proof against the checkpoint's root."""
    if not isinstance(dossier, dict) or not isinstance(dossier.get("entries"), list):
        return _bad(None, "dossier: not {selection, checkpoint, entries}")
    checkpoint = dossier.get("checkpoint")
    try:
        check_checkpoint(checkpoint, public_key_b64)
    except CheckpointError as error:
        return _bad(None, f"dossier checkpoint: {error}")
    for position, item in enumerate(dossier["entries"]):
        if not isinstance(item, dict) or not isinstance(item.get("proof"), dict):
            return _bad(None, f"dossier entry {position} has no proof")
        entry = {key: value for key, value in item.items() if key != "proof"}
        seq, proof = entry.get("seq"), item["proof"]
        missing = [name for name in ENTRY_FIELDS if name not in entry]
        if missing:
            return _bad(seq, f"seq {seq} lacks {', '.join(missing)}")
        try:
            recomputed = leaf_hash_of(entry)
        except (TypeError, ValueError, EntryError) as error:
            return _bad(seq, f"seq {seq} cannot be canonicalised: {error}")
        if recomputed != entry["leaf_hash"] or proof.get("leaf_hash") != recomputed:
            return _bad(seq, f"seq {seq}: leaf_hash does not match its content")
        if proof.get("index") != seq or proof.get("size") != checkpoint["size"]:
            return _bad(seq, f"seq {seq}: the proof is not for this entry in this checkpoint")
        if not check_hex_path(proof.get("path")) or not verify_inclusion(
            recomputed, seq, checkpoint["size"], proof["path"], checkpoint["root"]
        ):
            return _bad(seq, f"seq {seq}: the inclusion proof does not lead to the checkpoint's root")
    return VerifyResult(
        True,
        None,
        f"dossier of {dossier.get('selection')!r}: {len(dossier['entries'])} entries "
        f"included in checkpoint {checkpoint['size']} signed by {checkpoint['key_id']}",
    )
