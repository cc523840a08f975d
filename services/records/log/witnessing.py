"""The C2SP tlog-witness ``add-checkpoint`` rules as pure functions: the request body, and the decision a
witness takes on it given the logs it trusts and the latest checkpoint it cosigned for each.

The HTTP server, the key and the state file are ``services.records.witness``'s; here nothing reads a
clock or a file, so every branch of the spec (400, 403, 404, 409 with the witness's size, 422, 200)
is tested without a server.
"""

import base64
import binascii
import re
from collections import namedtuple

from . import note
from .merkle import ProofError, check_consistency

MAX_PROOF_LINES = 63
MAX_BODY_BYTES = 64 * 1024

Request = namedtuple("Request", "old_size proof note_bytes")
# status: HTTP status; body: response bytes; content_type; new_state: (origin, size, root) to persist, or None
Decision = namedtuple("Decision", "status body content_type new_state")

_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")


class BadRequest(ValueError):
    """A request body that is not an add-checkpoint body."""


def encode_request(old_size, proof, signed_note):
    """The add-checkpoint body a log sends: ``old N``, one base64 hash a line, a blank line, the note."""
    lines = [f"old {old_size}"] + [base64.b64encode(bytes(h)).decode("ascii") for h in proof]
    text = signed_note if isinstance(signed_note, str) else signed_note.decode("utf-8")
    return ("\n".join(lines) + "\n\n" + text).encode("utf-8")


def parse_request(body):
    """A ``Request`` from the raw body; BadRequest naming what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("the body is too large")
    head, sep, rest = bytes(body).partition(b"\n\n")
    if not sep:
        raise BadRequest("no blank line between the proof and the checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise BadRequest("the old size and proof lines are ASCII") from None
    match = _OLD.fullmatch(lines[0])
    if not match:
        raise BadRequest("the first line is 'old <size>' with no leading zeroes")
    proof = []
    for line in lines[1:]:
        try:
            value = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("a proof line is one base64 hash") from None
        if len(value) != 32:
            raise BadRequest("a proof line is one 32-byte hash")
        proof.append(value)
    if len(proof) > MAX_PROOF_LINES:
        raise BadRequest(f"more than {MAX_PROOF_LINES} proof lines")
    return Request(int(match.group(1)), proof, rest)


def _text(status, message):
    return Decision(status, (message.rstrip("\n") + "\n").encode("utf-8"), "text/plain; charset=utf-8", None)


def decide(body, trusted_logs, state, witness_name, witness_key, now):
    """What the witness answers to ``body``.

    ``trusted_logs``: ``{origin: [note.Verifier]}``; ``state``: ``{origin: (size, root bytes)}``, the
    latest checkpoint cosigned for each; ``now``: POSIX seconds for the cosignature. The caller
    persists ``new_state`` before it sends a 200, under the same lock it read ``state`` with.
    """
    try:
        request = parse_request(body)
        text, signatures = note.parse_note(request.note_bytes)
        checkpoint = note.parse_checkpoint(text)
    except (BadRequest, note.NoteError) as error:
        return _text(400, str(error))
    verifiers = trusted_logs.get(checkpoint.origin)
    if not verifiers:
        return _text(404, f"unknown log origin {checkpoint.origin!r}")
    verified = False
    for verifier in verifiers:
        if note.find_signature(signatures, verifier) is None:
            continue
        try:
            note.verify_note_signature(text, signatures, verifier)
            verified = True
        except note.NoteError:
            # A known key whose signature fails: the note is refused whole (signed-note.md).
            return _text(403, "the checkpoint's signature by the log does not verify")
    if not verified:
        return _text(403, "the checkpoint is not signed by a key this witness trusts for its origin")
    if request.old_size > checkpoint.size:
        return _text(400, "the old size is beyond the checkpoint's size")
    stored_size, stored_root = state.get(checkpoint.origin, (0, None))
    if request.old_size != stored_size:
        return Decision(409, f"{stored_size}\n".encode("ascii"), "text/x.tlog.size", None)
    if checkpoint.size == stored_size and stored_root is not None:
        if checkpoint.root != stored_root:
            return _text(409, "same size as the checkpoint cosigned last, different root")
        if request.proof:
            return _text(422, "equal sizes take an empty consistency proof")
    elif stored_size == 0:
        if request.proof:
            return _text(422, "the proof from size 0 must be empty")
    else:
        try:
            check_consistency(stored_size, checkpoint.size, stored_root, checkpoint.root, request.proof)
        except ProofError as error:
            return _text(422, f"the consistency proof does not verify: {error}")
    line = note.cosign(text, witness_name, witness_key, int(now))
    return Decision(
        200, line.encode("utf-8"), "text/plain; charset=utf-8", (checkpoint.origin, checkpoint.size, checkpoint.root)
    )


WitnessConfig = namedtuple("WitnessConfig", "name vkey verifier url")
_WITNESS_ENTRY = re.compile(r"(?P<vkey>[^\s+@]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+)@(?P<url>https?://\S+)")


def parse_witnesses(text):
    """``[WitnessConfig]`` from ``RECORDS_WITNESSES``: comma-separated ``<vkey>@<submission prefix URL>``.

    ValueError naming the entry that is not one (a typo must stop the service, not silently
    leave the log uncosigned).
    """
    witnesses = []
    for entry in (part.strip() for part in (text or "").split(",")):
        if not entry:
            continue
        match = _WITNESS_ENTRY.fullmatch(entry)
        if not match:
            raise ValueError(f"RECORDS_WITNESSES: {entry!r} is not <vkey>@<http(s) URL>")
        try:
            verifier = note.parse_vkey(match.group("vkey"))
        except note.NoteError as error:
            raise ValueError(f"RECORDS_WITNESSES: {entry!r}: {error}") from None
        if verifier.type != note.COSIGNATURE_V1:
            raise ValueError(f"RECORDS_WITNESSES: {entry!r} is not a cosignature/v1 (type 0x04) key")
        if any(w.name == verifier.name for w in witnesses):
            raise ValueError(f"RECORDS_WITNESSES: two witnesses named {verifier.name!r}")
        witnesses.append(WitnessConfig(verifier.name, match.group("vkey"), verifier, match.group("url").rstrip("/")))
    return witnesses
