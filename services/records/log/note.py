"""C2SP signed notes, tlog-checkpoint bodies and tlog-cosignature/v1 (Ed25519, timestamped) cosignatures.

Pure functions over bytes and text (no clock: a cosignature's time is passed in). The formats are
the specs' own (c2sp.org/signed-note, c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature), so
that golang.org/x/mod/sumdb/note and any standard witness read what this module writes:

    <origin>\\n<size>\\n<base64 root>\\n          the note text (a checkpoint body)
    \\n
    — <key name> base64(key ID ‖ signature)\\n   one line per signature

Key ID = ``SHA-256(name ‖ "\\n" ‖ type ‖ public key)[:4]``; type 0x01 for the log's Ed25519 note
signature, 0x04 for a witness's timestamped cosignature, whose signature is
``u64 timestamp ‖ Ed25519(b"cosignature/v1\\ntime <t>\\n" ‖ note text)``.
"""

import base64
import binascii
import hashlib
import re
import struct
from collections import namedtuple

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014"
MAX_SIGNATURES = 64
MAX_NOTE_BYTES = 64 * 1024
MAX_TIMESTAMP = 2**63 - 1

Signature = namedtuple("Signature", "name key_id raw line")
Checkpoint = namedtuple("Checkpoint", "origin size root extensions text")
Verifier = namedtuple("Verifier", "name key_id type public_key")

_NAME = re.compile(r"[^\s+]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """A note, key or signature that does not have the shape or the signature the specs give it."""


def _b64(raw):
    return base64.b64encode(raw).decode("ascii")


def _unb64(text, what):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64") from None


def check_name(name):
    """Key names are non-empty and hold no Unicode space and no ``+``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise NoteError(f"key name {name!r} is empty or holds a space or a '+'")
    return name


def key_id(name, key_type, public_key):
    """The 4-byte key ID: ``SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]``."""
    check_name(name)
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + bytes(public_key)).digest()[:4]


def vkey(name, key_type, public_key):
    """The signed-note verifier key ``<name>+<hex key ID>+<base64(type ‖ public key)>``."""
    return f"{name}+{key_id(name, key_type, public_key).hex()}+{_b64(bytes([key_type]) + bytes(public_key))}"


def log_vkey(name, signing_key):
    """The log's verifier key (type 0x01) for ``signing_key`` (a PyNaCl SigningKey)."""
    return vkey(name, ED25519, bytes(signing_key.verify_key))


def witness_vkey(name, signing_key):
    """A witness's verifier key (type 0x04, cosignature/v1)."""
    return vkey(name, COSIGNATURE_V1, bytes(signing_key.verify_key))


def parse_vkey(text):
    """A ``Verifier`` from ``<name>+<hex id>+<base64(type ‖ key)>``; NoteError unless the ID is the key's."""
    if not isinstance(text, str) or text.count("+") < 2:
        raise NoteError("a verifier key is <name>+<hex key ID>+<base64 key>")
    name, hex_id, key64 = text.split("+", 2)
    check_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise NoteError("a verifier key's ID is 8 lowercase hex digits")
    raw = _unb64(key64, "verifier key")
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError("a verifier key is type 0x01 or 0x04 and a 32-byte Ed25519 key")
    public_key = raw[1:]
    if key_id(name, raw[0], public_key).hex() != hex_id:
        raise NoteError("the verifier key's ID is not the hash of its name and key")
    return Verifier(name, bytes.fromhex(hex_id), raw[0], public_key)


# -- notes -------------------------------------------------------------------------------------


def _check_text(text):
    if not text.endswith("\n"):
        raise NoteError("a note text ends in a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("a note holds no control character but newline")


def signature_line(name, key_id_bytes, signature):
    return f"{DASH} {check_name(name)} {_b64(bytes(key_id_bytes) + bytes(signature))}\n"


def sign_note(text, name, signing_key):
    """The log's Ed25519 signature line over ``text``."""
    _check_text(text)
    signature = signing_key.sign(text.encode("utf-8")).signature
    return signature_line(name, key_id(name, ED25519, bytes(signing_key.verify_key)), signature)


def parse_note(note):
    """``(text, [Signature])`` from a signed note (str or UTF-8 bytes); NoteError when malformed."""
    if isinstance(note, (bytes, bytearray)):
        if len(note) > MAX_NOTE_BYTES:
            raise NoteError("the note is too large")
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("a note is UTF-8") from None
    if len(note) > MAX_NOTE_BYTES:
        raise NoteError("the note is too large")
    if not note.endswith("\n"):
        raise NoteError("a note ends in a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise NoteError("a note holds no control character but newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("a note has a blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    signatures = []
    for line in block.splitlines():
        if not line.startswith(DASH + " "):
            raise NoteError("a signature line starts with an em dash and a space")
        parts = line[2:].split(" ")
        if len(parts) != 2:
            raise NoteError("a signature line is '— <name> <base64>'")
        name, sig64 = parts
        check_name(name)
        raw = _unb64(sig64, "signature")
        if len(raw) < 5:
            raise NoteError("a signature holds a key ID and a signature")
        signatures.append(Signature(name, raw[:4], raw[4:], line + "\n"))
    if not signatures:
        raise NoteError("a signed note has at least one signature")
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError("the note has too many signatures")
    return text, signatures


def find_signature(signatures, verifier):
    """The signature made by ``verifier`` (same name and key ID), or None."""
    for signature in signatures:
        if signature.name == verifier.name and signature.key_id == verifier.key_id:
            return signature
    return None


def verify_note_signature(text, signatures, verifier):
    """Raise NoteError unless the log key ``verifier`` (type 0x01) signed ``text``."""
    if verifier.type != ED25519:
        raise NoteError("not a note signing key")
    signature = find_signature(signatures, verifier)
    if signature is None:
        raise NoteError(f"no signature by {verifier.name}+{verifier.key_id.hex()}")
    try:
        VerifyKey(verifier.public_key).verify(text.encode("utf-8"), signature.raw)
    except (BadSignatureError, ValueError):
        raise NoteError(f"the signature by {verifier.name} does not verify") from None


# -- checkpoints (c2sp.org/tlog-checkpoint) -----------------------------------------------------


def checkpoint_text(origin, size, root, extensions=()):
    """The checkpoint body: origin, decimal size, base64 root hash, extension lines."""
    check_origin(origin)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise NoteError("a tree size is a non-negative integer")
    if len(bytes(root)) != 32:
        raise NoteError("a root hash is 32 bytes")
    lines = [origin, str(size), _b64(bytes(root)), *extensions]
    text = "\n".join(lines) + "\n"
    _check_text(text)
    return text


def check_origin(origin):
    if not isinstance(origin, str) or not origin or "\n" in origin or origin != origin.strip():
        raise NoteError("an origin is one non-empty line")
    return origin


def parse_checkpoint(text):
    """A ``Checkpoint`` from a note text (``Checkpoint.text`` is what the signatures cover)."""
    _check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint has an origin, a size and a root hash line")
    origin, size_line, root_line, *extensions = lines
    check_origin(origin)
    if not _DECIMAL.fullmatch(size_line) or len(size_line) > 19:
        raise NoteError("a checkpoint size is a decimal with no leading zeroes")
    root = _unb64(root_line, "root hash")
    if len(root) != 32:
        raise NoteError("a checkpoint root hash is 32 bytes")
    if any(not line for line in extensions):
        raise NoteError("a checkpoint holds no empty line")
    return Checkpoint(origin, int(size_line), root, tuple(extensions), text)


def signed_checkpoint(origin, size, root, signing_key, cosignature_lines=()):
    """The whole note: checkpoint body, blank line, the log's signature, then any cosignature lines."""
    text = checkpoint_text(origin, size, root)
    return text + "\n" + sign_note(text, origin, signing_key) + "".join(cosignature_lines)


# -- cosignatures (c2sp.org/tlog-cosignature, cosignature/v1) -----------------------------------


def cosignature_message(text, timestamp):
    """The bytes a cosignature/v1 signature covers: header line, time line, then the note text."""
    _check_timestamp(timestamp)
    return f"cosignature/v1\ntime {timestamp}\n".encode("ascii") + text.encode("utf-8")


def _check_timestamp(timestamp):
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("a cosignature time is a POSIX timestamp below 2^63")


def cosign(text, name, signing_key, timestamp):
    """The witness's cosignature line over checkpoint ``text`` at POSIX ``timestamp``."""
    _check_text(text)
    signature = signing_key.sign(cosignature_message(text, timestamp)).signature
    body = struct.pack(">Q", timestamp) + signature
    return signature_line(name, key_id(name, COSIGNATURE_V1, bytes(signing_key.verify_key)), body)


def verify_cosignature(text, signatures, verifier):
    """The timestamp of ``verifier``'s valid cosignature over ``text``; NoteError if absent or bad."""
    if verifier.type != COSIGNATURE_V1:
        raise NoteError("not a cosignature/v1 key")
    signature = find_signature(signatures, verifier)
    if signature is None:
        raise NoteError(f"no cosignature by {verifier.name}")
    if len(signature.raw) != 8 + 64:
        raise NoteError(f"the cosignature by {verifier.name} is not a timestamp and an Ed25519 signature")
    (timestamp,) = struct.unpack(">Q", signature.raw[:8])
    if timestamp > MAX_TIMESTAMP:
        raise NoteError(f"the cosignature by {verifier.name} has a timestamp beyond 2^63 - 1")
    try:
        VerifyKey(verifier.public_key).verify(cosignature_message(text, timestamp), signature.raw[8:])
    except (BadSignatureError, ValueError):
        raise NoteError(f"the cosignature by {verifier.name} does not verify") from None
    return timestamp
