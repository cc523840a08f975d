"""The records-log verifier's checks as pure functions: listing, chain, root, signature and consistency."""
from collections import namedtuple

from .checkpoint import CheckpointError, check_checkpoint
from .entry import ENTRY_FIELDS, GENESIS_PREV_HASH, EntryError, is_hex_hash, leaf_hash_of
from .merkle import MerkleTree, ProofError, check_consistency

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
            return None, _bad(position, f"seq {position}: prev_hash does not match seq {position - 1}'s leaf_hash"
                              if position else "seq 0: prev_hash is not 64 zeros")
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
        True, None,
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
