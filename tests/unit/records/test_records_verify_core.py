"""The verifier's core against every kind of tampering with the listing, the checkpoint and the history."""

import pytest
from nacl.signing import SigningKey

from records_synthetic_log import checkpoint_of, fields_for, make_log, rehash, tree_of
from services.records.log.checkpoint import public_key_b64, sign_checkpoint
from services.records.log.entry import build_log, leaf_hash_of
from services.records.log.verify_core import verify_log

KEY = SigningKey(bytes(range(32)))
PUBLIC = public_key_b64(KEY)
N = 12


@pytest.fixture
def entries():
    return make_log(N)


def consistency_path(entries, first, second):
    return [node.hex() for node in tree_of(entries).consistency_proof(first, second)]


def test_honest_log_verifies(entries):
    ok, bad, message = verify_log(entries, checkpoint_of(entries, KEY), PUBLIC)
    assert (ok, bad) == (True, None)
    assert f"{N} entries" in message


def test_listing_that_grew_after_the_checkpoint_still_verifies(entries):
    assert verify_log(entries, checkpoint_of(entries, KEY, size=9), PUBLIC).ok


def test_empty_log_verifies():
    assert verify_log([], checkpoint_of([], KEY), PUBLIC).ok


@pytest.mark.parametrize(
    "field",
    ["subject", "stage", "occurred_at", "place", "responsible", "matter", "result", "recorder", "correlation_id"],
)
def test_a_changed_field_is_caught_at_its_seq(entries, field):
    entries[5] = dict(entries[5], **{field: "altered"})
    ok, bad, message = verify_log(entries, checkpoint_of(make_log(N), KEY), PUBLIC)
    assert (ok, bad) == (False, 5) and "leaf_hash" in message


def test_a_changed_field_with_its_leaf_hash_recomputed_breaks_the_chain_at_the_next(entries):
    entries[5] = dict(entries[5], result="altered")
    entries[5]["leaf_hash"] = leaf_hash_of(entries[5])
    ok, bad, message = verify_log(entries, checkpoint_of(make_log(N), KEY), PUBLIC)
    assert (ok, bad) == (False, 6) and "prev_hash" in message


def test_a_rewritten_and_rechained_listing_fails_the_root(entries):
    checkpoint = checkpoint_of(entries, KEY)
    entries[5] = dict(entries[5], result="altered")
    ok, bad, message = verify_log(rehash(entries), checkpoint, PUBLIC)
    assert (ok, bad) == (False, None) and message.startswith("root")


def test_a_removed_entry_is_caught_where_it_went_missing(entries):
    checkpoint = checkpoint_of(entries, KEY)
    del entries[4]
    assert verify_log(entries, checkpoint, PUBLIC)[:2] == (False, 4)


def test_removed_entries_at_the_tail_are_caught_against_the_checkpoint(entries):
    checkpoint = checkpoint_of(entries, KEY)
    ok, bad, message = verify_log(entries[: N - 2], checkpoint, PUBLIC)
    assert (ok, bad) == (False, N - 2) and "covers" in message


def test_a_removed_entry_renumbered_and_rechained_still_fails_the_root(entries):
    checkpoint = checkpoint_of(entries, KEY, size=N - 1)
    shortened = rehash([dict(e, seq=i) for i, e in enumerate(entries[:4] + entries[5:])])
    ok, bad, message = verify_log(shortened, checkpoint, PUBLIC)
    assert (ok, bad) == (False, None) and message.startswith("root")


def test_a_reordered_pair_is_caught_at_the_first_of_them(entries):
    checkpoint = checkpoint_of(entries, KEY)
    entries[3], entries[4] = entries[4], entries[3]
    assert verify_log(entries, checkpoint, PUBLIC)[:2] == (False, 3)


def test_a_reordered_pair_with_seqs_swapped_back_is_still_caught(entries):
    checkpoint = checkpoint_of(entries, KEY)
    entries[3], entries[4] = dict(entries[4], seq=3), dict(entries[3], seq=4)
    assert verify_log(entries, checkpoint, PUBLIC)[:2] == (False, 3)


def test_a_duplicated_entry_and_a_missing_field_are_caught(entries):
    checkpoint = checkpoint_of(entries, KEY)
    assert verify_log(entries[:6] + entries[5:], checkpoint, PUBLIC)[:2] == (False, 6)
    damaged = list(entries)
    damaged[2] = {k: v for k, v in entries[2].items() if k != "place"}
    ok, bad, message = verify_log(damaged, checkpoint, PUBLIC)
    assert (ok, bad) == (False, 2) and "place" in message


def test_first_entry_must_chain_to_zeros():
    entries = build_log([fields_for(0)])
    forged = dict(entries[0], prev_hash="11" * 32)
    forged["leaf_hash"] = leaf_hash_of(forged)
    assert verify_log([forged], checkpoint_of([forged], KEY), PUBLIC)[:2] == (False, 0)


def test_a_checkpoint_signed_by_another_key_is_refused(entries):
    forged = checkpoint_of(entries, SigningKey.generate())
    ok, bad, message = verify_log(entries, forged, PUBLIC)
    assert (ok, bad) == (False, None) and message.startswith("checkpoint")


def test_an_altered_root_is_refused_signed_or_not(entries):
    checkpoint = checkpoint_of(entries, KEY)
    other_root = tree_of(entries).root(N - 1).hex()
    assert verify_log(entries, dict(checkpoint, root=other_root), PUBLIC).message.startswith("checkpoint")
    resigned = sign_checkpoint(KEY, N, other_root, checkpoint["timestamp"])
    assert verify_log(entries, resigned, PUBLIC).message.startswith("root")


def test_the_log_growing_honestly_is_consistent_with_the_previous_checkpoint(entries):
    previous = checkpoint_of(entries[:7], KEY)
    current = checkpoint_of(entries, KEY)
    result = verify_log(entries, current, PUBLIC, previous, consistency_path(entries, 7, N))
    assert result.ok and "consistent with previous size 7" in result.message
    assert verify_log(entries, current, PUBLIC, current, []).ok  # nothing new
    assert verify_log(entries, current, PUBLIC, checkpoint_of([], KEY), None).ok  # from empty


def split_view(count_before=8, rewrite_from=4, count_after=N):
    """A first run sees ``count_before`` entries; later the log is rewritten from ``rewrite_from`` on."""
    original = make_log(count_before)
    previous = checkpoint_of(original, KEY)
    rewritten = original[:rewrite_from] + make_log(count_after, tag="rewritten")[rewrite_from:]
    rewritten = rehash(rewritten)
    return previous, rewritten, checkpoint_of(rewritten, KEY)


def test_split_view_fails_the_consistency_check():
    previous, rewritten, current = split_view()
    # Each half looks perfect on its own: a valid chain under a valid signature.
    assert verify_log(rewritten, current, PUBLIC).ok
    ok, bad, message = verify_log(rewritten, current, PUBLIC, previous, consistency_path(rewritten, 8, N))
    assert (ok, bad) == (False, None) and message.startswith("consistency") and "does not hold" in message


def test_split_view_with_a_proof_from_the_old_tree_still_fails():
    previous, rewritten, current = split_view()
    original_grown = make_log(N)
    stale_proof = consistency_path(original_grown, 8, N)
    assert not verify_log(rewritten, current, PUBLIC, previous, stale_proof).ok


def test_split_view_rewriting_only_the_last_seen_entry_fails():
    previous, rewritten, current = split_view(rewrite_from=7)
    assert not verify_log(rewritten, current, PUBLIC, previous, consistency_path(rewritten, 8, N)).ok


def test_a_log_that_shrank_or_withholds_its_proof_fails(entries):
    previous = checkpoint_of(entries, KEY)
    smaller = checkpoint_of(entries[:9], KEY)
    ok, _, message = verify_log(entries[:9], smaller, PUBLIC, previous, [])
    assert not ok and "shrank" in message
    ok, _, message = verify_log(entries, checkpoint_of(entries, KEY), PUBLIC, checkpoint_of(entries[:5], KEY), None)
    assert not ok and "no consistency proof" in message


def test_same_size_with_a_different_root_fails():
    previous, rewritten, _ = split_view(count_after=8)
    current = checkpoint_of(rewritten, KEY)
    ok, _, message = verify_log(rewritten, current, PUBLIC, previous, [])
    assert not ok and message.startswith("consistency")


def test_a_previous_checkpoint_from_another_key_fails(entries):
    previous = checkpoint_of(entries[:7], SigningKey.generate())
    ok, _, message = verify_log(entries, checkpoint_of(entries, KEY), PUBLIC, previous, consistency_path(entries, 7, N))
    assert not ok and "current key" in message


def test_a_seq_gap_is_caught_even_in_a_consistently_chained_and_signed_log():
    entries = rehash([dict(e, seq=i if i < 4 else i + 1) for i, e in enumerate(make_log(N))])
    ok, bad, message = verify_log(entries, checkpoint_of(entries, KEY), PUBLIC)
    assert (ok, bad) == (False, 4) and "expected seq 4" in message


def test_a_log_not_starting_at_seq_zero_is_caught():
    entries = rehash([dict(e, seq=i + 1) for i, e in enumerate(make_log(3))])
    assert verify_log(entries, checkpoint_of(entries, KEY), PUBLIC)[:2] == (False, 0)


# --- what a mutation run showed no test pinned down (docs/TESTING.md)


def test_a_non_object_or_uncanonical_entry_is_named_at_its_position(entries):
    checkpoint = checkpoint_of(entries, KEY)
    result = verify_log(entries[:3] + ["not an entry"] + entries[4:], checkpoint, PUBLIC)
    assert result == (False, 3, "entry at position 3 is not an object")
    odd = [dict(e) for e in entries]
    odd[5]["matter"] = {1, 2}  # no JSON for a set
    ok, bad, message = verify_log(odd, checkpoint, PUBLIC)
    assert (ok, bad) == (False, 5) and message.startswith("seq 5 cannot be canonicalised")


def test_a_broken_chain_names_the_entry_before(entries):
    chained = rehash(entries)
    chained[0] = dict(chained[0], prev_hash="1" * 64)
    chained[0]["leaf_hash"] = leaf_hash_of({k: v for k, v in chained[0].items() if k != "leaf_hash"})
    assert verify_log(chained, checkpoint_of(chained, KEY), PUBLIC)[1:] == (0, "seq 0: prev_hash is not 64 zeros")
    later = [dict(e) for e in entries]
    later[6]["prev_hash"] = "2" * 64
    later[6]["leaf_hash"] = leaf_hash_of({k: v for k, v in later[6].items() if k != "leaf_hash"})
    assert verify_log(later, checkpoint_of(entries, KEY), PUBLIC)[1:] == (
        6,
        "seq 6: prev_hash does not match seq 5's leaf_hash",
    )


def test_growth_from_one_entry_needs_a_consistency_proof(entries):
    previous = checkpoint_of(entries[:1], KEY)
    result = verify_log(entries, checkpoint_of(entries, KEY), PUBLIC, previous, [])
    assert result == (False, None, "consistency: no consistency proof was given")
