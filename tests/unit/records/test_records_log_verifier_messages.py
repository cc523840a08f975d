"""What the verifier prints, word for word: the summary of a log that holds, an entry that lacks several fields
(each named, in the order of API.md), and a previous checkpoint of the empty tree whose root is not the empty
tree's."""

import copy

from nacl.signing import SigningKey
from records_synthetic_log import checkpoint_of, make_log, tree_of

from services.records.log.checkpoint import key_id_of, public_key_b64, sign_checkpoint
from services.records.log.verify_core import check_dossier, verify_log

KEY = SigningKey(bytes(range(32)))
PUBLIC = public_key_b64(KEY)
KEY_ID = key_id_of(bytes(KEY.verify_key))
N = 12


def test_a_log_that_holds_is_summed_up_with_its_size_root_key_and_history():
    entries = make_log(N)
    checkpoint = checkpoint_of(entries, KEY)
    root = checkpoint["root"]
    assert verify_log(entries, checkpoint, PUBLIC) == (
        True,
        None,
        f"12 entries, checkpoint size 12 root {root[:16]}… signed by {KEY_ID}; no previous checkpoint",
    )
    previous = checkpoint_of(entries[:7], KEY)
    path = [node.hex() for node in tree_of(entries).consistency_proof(7, N)]
    assert verify_log(entries, checkpoint, PUBLIC, previous, path) == (
        True,
        None,
        f"12 entries, checkpoint size 12 root {root[:16]}… signed by {KEY_ID}; consistent with previous size 7",
    )


def test_the_summary_shows_the_first_16_hex_characters_of_the_root():
    entries = make_log(3)
    checkpoint = checkpoint_of(entries, KEY)
    message = verify_log(entries, checkpoint, PUBLIC).message
    shown = message.split(" root ", 1)[1].split("…", 1)[0]
    assert len(shown) == 16 and checkpoint["root"].startswith(shown)


def test_a_previous_checkpoint_of_no_entries_with_a_root_other_than_the_empty_trees_is_refused():
    """Every tree extends the empty one, so no proof is asked for; the listing's first 0 entries hash to the
    empty tree's root, which is not the root that previous checkpoint was signed with."""
    entries = make_log(N)
    previous = sign_checkpoint(KEY, 0, "ab" * 32, "2026-03-01T00:00:00Z")
    assert verify_log(entries, checkpoint_of(entries, KEY), PUBLIC, previous, []) == (
        False,
        None,
        "consistency: the listing's first 0 entries differ from the previous checkpoint",
    )
    assert verify_log(entries, checkpoint_of(entries, KEY), PUBLIC, checkpoint_of([], KEY), []).ok


def test_a_listed_entry_lacking_several_fields_names_each_in_order():
    entries = make_log(N)
    checkpoint = checkpoint_of(entries, KEY)
    entries[2] = {k: v for k, v in entries[2].items() if k not in ("recorder", "place", "leaf_hash")}
    assert verify_log(entries, checkpoint, PUBLIC) == (False, 2, "seq 2 lacks place, recorder, leaf_hash")


def test_a_dossier_entry_lacking_several_fields_names_each_in_order():
    entries = make_log(N)
    tree = tree_of(entries)
    item = dict(
        entries[4],
        proof={
            "index": 4,
            "size": N,
            "leaf_hash": entries[4]["leaf_hash"],
            "path": [n.hex() for n in tree.inclusion_proof(4, N)],
        },
    )
    dossier = {"selection": "1", "checkpoint": checkpoint_of(entries, KEY), "entries": [item]}
    assert check_dossier(dossier, PUBLIC).ok
    damaged = copy.deepcopy(dossier)
    for name in ("stage", "correlation_id"):
        del damaged["entries"][0][name]
    assert check_dossier(damaged, PUBLIC) == (False, 4, "seq 4 lacks stage, correlation_id")
