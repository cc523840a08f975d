"""Every refusal of the log's own formats names its field word for word, and the edges of each format hold:
the time a checkpoint is signed at, the signing key's seed, an entry's fields, a signed note's key names,
origin, size and root, and a witness request's size. These messages reach whoever checks the record, so
each one must say which part is wrong, not merely fail."""

import base64
import re

import pytest
from nacl.signing import SigningKey

from services.records.log import checkpoint as cp
from services.records.log import entry as en
from services.records.log import note, witnessing

KEY = SigningKey(bytes(range(32)))
ROOT = "ab" * 32
TIME = "2026-12-02T08:00:00.000000Z"
ORIGIN = "example.org/log"
# SHA-256 of no bytes: the root of the empty tree, as every C2SP checkpoint of size 0 spells it
EMPTY_ROOT_B64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def slug(message):
    """A test id of plain words: mutmut passes ids on a command line, where a newline or a quote breaks."""
    return re.sub(r"[^a-z0-9]+", "-", str(message).lower()).strip("-") or "blank"


def refused(error, call, *args):
    with pytest.raises(error) as info:
        call(*args)
    assert type(info.value) is error
    return str(info.value)


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


# -- the time a checkpoint is signed at (API.md: RFC 3339, UTC) ----------------------------------------------


@pytest.mark.parametrize(
    "timestamp, message",
    [
        (20261202, "timestamp must be an RFC 3339 string"),
        (None, "timestamp must be an RFC 3339 string"),
        ("2026-12-02T08:00:00Z\nsize 4", "timestamp must be an RFC 3339 string"),
        ("\n", "timestamp must be an RFC 3339 string"),
        ("yesterday", "timestamp 'yesterday' is not RFC 3339"),
        ("2026-02-30T08:00:00Z", "timestamp '2026-02-30T08:00:00Z' is not RFC 3339"),
        ("2026-12-02T08:00:00+01:00", "timestamp must be in UTC"),
        ("2026-12-02T08:00:00-00:30", "timestamp must be in UTC"),
        ("2026-12-02T08:00:00", "timestamp '2026-12-02T08:00:00' is not RFC 3339"),
    ],
    ids=[
        "an-integer",
        "none",
        "a-second-line",
        "a-bare-newline",
        "not-a-time",
        "thirtieth-of-february",
        "plus-one-hour",
        "minus-half",
        "naive",
    ],
)
def test_a_checkpoint_is_not_signed_at_a_time_that_is_not_rfc_3339_utc(timestamp, message):
    assert refused(cp.CheckpointError, cp.sign_checkpoint, KEY, 3, ROOT, timestamp) == message


@pytest.mark.parametrize(
    "timestamp",
    [
        "20261202T080000Z",  # ISO 8601's basic format
        "2026-W49-3T08:00:00Z",  # a week date
        "2026-12-02T08Z",  # no minutes
        "2026-12-02T08:00Z",  # no seconds
        "2026-12-02 08:00:00Z",  # a space for the T
        "2026-12-02t08:00:00z",  # RFC 3339 lets a format insist on upper case, and this one does
        "2026-12-02T08:00:00.Z",  # a point with no digits
        "2026-12-02T08:00:00Z ",
    ],
    ids=["basic", "week-date", "no-minutes", "no-seconds", "a-space", "lower-case", "empty-fraction", "trailing-space"],
)
def test_a_checkpoint_is_not_signed_at_an_iso_8601_time_that_rfc_3339_does_not_allow(timestamp):
    assert refused(cp.CheckpointError, cp.sign_checkpoint, KEY, 3, ROOT, timestamp) == (
        f"timestamp {timestamp!r} is not RFC 3339"
    )


@pytest.mark.parametrize(
    "timestamp", [TIME, "2026-12-02T08:00:00Z", "2026-12-02T08:00:00+00:00", "2026-12-02T08:00:00.1234567Z"]
)
def test_a_checkpoint_is_signed_at_any_spelling_of_a_utc_time(timestamp):
    signed = cp.sign_checkpoint(KEY, 3, ROOT, timestamp)
    assert signed["timestamp"] == timestamp
    assert cp.verify_checkpoint(signed, cp.public_key_b64(KEY)) is True


def test_a_signing_key_seed_with_a_character_outside_base64_is_refused_not_skipped():
    seed = b64(bytes(32))
    assert refused(cp.CheckpointError, cp.signing_key_from_b64, seed[:4] + "!" + seed[4:]) == (
        "signing key seed is not valid base64"
    )
    assert refused(cp.CheckpointError, cp.signing_key_from_b64, seed[:4] + "\n" + seed[4:]) == (
        "signing key seed is not valid base64"
    )
    # Surrounding blank space (a trailing newline in a key file) is not part of the seed.
    assert bytes(cp.signing_key_from_b64(f"  {seed}\n")) == bytes(32)


# -- the entry of API.md ------------------------------------------------------------------------------------------

ZEROS = "0" * 64


@pytest.mark.parametrize(
    "seq, prev_hash, fields, message",
    [
        (-1, ZEROS, {}, "seq must be a non-negative integer, got -1"),
        (True, ZEROS, {}, "seq must be a non-negative integer, got True"),
        ("1", ZEROS, {}, "seq must be a non-negative integer, got '1'"),
        (1, "AB" * 32, {}, "prev_hash must be 64 lowercase hex characters"),
        (1, "ab" * 31, {}, "prev_hash must be 64 lowercase hex characters"),
        (0, "ab" * 32, {}, "the first entry's prev_hash is 64 zeros"),
        (0, ZEROS, {"colour": "red", "author": "x"}, "not entry fields: author, colour"),
        (0, ZEROS, {"colour": "red"}, "not entry fields: colour"),
        (0, ZEROS, {"place": 3}, "place must be a string or null, got int"),
        (0, ZEROS, {"result": {"n": 1}}, "result must be a string or null, got dict"),
    ],
    ids=[
        "seq-minus-one",
        "seq-true",
        "seq-text",
        "prev-hash-upper-case",
        "prev-hash-short",
        "first-not-zeros",
        "two-unknown-fields",
        "one-unknown-field",
        "place-an-integer",
        "result-an-object",
    ],
)
def test_an_entry_refused_names_its_field(seq, prev_hash, fields, message):
    assert refused(en.EntryError, en.make_entry, seq, prev_hash, fields) == message


# -- signed notes: key names, origins, checkpoint bodies (C2SP signed-note, tlog-checkpoint) -----------------


@pytest.mark.parametrize("name", ["", "two words", "tab\there", "a+b", None, 7], ids=slug)
def test_a_key_name_that_is_empty_or_holds_a_space_or_a_plus_is_refused(name):
    assert refused(note.NoteError, note.check_name, name) == f"key name {name!r} is empty or holds a space or a '+'"


@pytest.mark.parametrize("origin", ["", "two\nlines", " leading", "trailing ", None, 5], ids=slug)
def test_an_origin_that_is_not_one_non_empty_line_is_refused(origin):
    assert refused(note.NoteError, note.check_origin, origin) == "an origin is one non-empty line"


@pytest.mark.parametrize(
    "size, root, message",
    [
        (-1, bytes(32), "a tree size is a non-negative integer"),
        (True, bytes(32), "a tree size is a non-negative integer"),
        ("3", bytes(32), "a tree size is a non-negative integer"),
        (3, bytes(31), "a root hash is 32 bytes"),
        (3, bytes(33), "a root hash is 32 bytes"),
    ],
    ids=["size-minus-one", "size-true", "size-text", "root-31-bytes", "root-33-bytes"],
)
def test_a_checkpoint_body_refused_names_its_size_or_root(size, root, message):
    assert refused(note.NoteError, note.checkpoint_text, ORIGIN, size, root) == message


def test_the_empty_tree_has_a_checkpoint_body():
    empty_root = base64.b64decode(EMPTY_ROOT_B64)
    assert note.checkpoint_text(ORIGIN, 0, empty_root) == f"{ORIGIN}\n0\n{EMPTY_ROOT_B64}\n"
    assert note.parse_checkpoint(f"{ORIGIN}\n0\n{EMPTY_ROOT_B64}\n").size == 0


@pytest.mark.parametrize("control", ["\x00", "\x07", "\t", "\r", "\x1f"], ids=["nul", "bell", "tab", "cr", "unit-sep"])
def test_a_note_text_holds_no_control_character_but_newline(control):
    message = "a note holds no control character but newline"
    body = f"{ORIGIN}\n3\n{b64(bytes(32))}\nextension{control}line\n"
    assert refused(note.NoteError, note.parse_checkpoint, body) == message
    assert refused(note.NoteError, note.checkpoint_text, ORIGIN, 3, bytes(32), [f"extension{control}line"]) == message
    assert refused(note.NoteError, note.sign_note, f"text{control}\n", ORIGIN, KEY) == message
    assert refused(note.NoteError, note.cosign, f"text{control}\n", ORIGIN, KEY, 0) == message


def test_a_signed_checkpoint_carries_each_cosignature_line_as_given_after_the_logs_signature():
    text = note.checkpoint_text(ORIGIN, 3, bytes(32))
    witnesses = [SigningKey(bytes([n]) * 32) for n in (21, 22)]
    lines = [note.cosign(text, f"example.org/witness/{n}", key, 1_700_000_000) for n, key in enumerate(witnesses)]
    whole = note.signed_checkpoint(ORIGIN, 3, bytes(32), KEY, lines)
    assert whole == text + "\n" + note.sign_note(text, ORIGIN, KEY) + lines[0] + lines[1]
    body, signatures = note.parse_note(whole)
    assert body == text
    assert [s.name for s in signatures] == [ORIGIN, "example.org/witness/0", "example.org/witness/1"]


def test_a_note_whose_text_is_one_empty_line_reads_back_as_signed():
    """The blank line before the signatures may be the note's very first characters (golang.org/x/mod/sumdb/note
    reads the same): what sign_note signs, parse_note reads back, the shortest text too."""
    line = note.sign_note("\n", ORIGIN, KEY)
    text, signatures = note.parse_note("\n\n" + line)
    assert text == "\n"
    assert [(s.name, s.line) for s in signatures] == [(ORIGIN, line)]
    note.verify_note_signature(text, signatures, note.parse_vkey(note.log_vkey(ORIGIN, KEY)))
    assert refused(note.NoteError, note.parse_note, "\n" + line) == "a note has a blank line before its signatures"


# -- the witness's add-checkpoint request (C2SP tlog-witness) ----------------------------------------------------


def test_a_request_body_beyond_64_kib_is_refused_as_too_large():
    too_large = b"x" * (witnessing.MAX_BODY_BYTES + 1)
    assert witnessing.MAX_BODY_BYTES == 64 * 1024
    assert refused(witnessing.BadRequest, witnessing.parse_request, too_large) == "the body is too large"
    decision = witnessing.decide(too_large, {}, {}, "example.org/witness", KEY, 1_700_000_000)
    assert decision == (400, b"the body is too large\n", "text/plain; charset=utf-8", None)
    at_the_limit = b"x" * witnessing.MAX_BODY_BYTES
    assert refused(witnessing.BadRequest, witnessing.parse_request, at_the_limit) == (
        "no blank line between the proof and the checkpoint"
    )
