"""Ed25519 signatures over RFC 8785 JSON: event envelopes by their producing service, RPC caller
contexts by the gateway (DESIGN.md "Security"), so that broker credentials alone cannot act.

Keys: ``<PARTY>_SIGNING_KEY`` (base64 32-byte seed) or ``CADRE_DATA_DIR/keys/<party>.key``, made once;
whoever loads its signing key also writes ``keys/<party>.pub`` for processes sharing the data dir.
The public key of a party: ``<PARTY>_PUBLIC_KEY``, else ``keys/<party>.pub``, else derived from its
signing key when this process holds it. A party whose public key is not known *yet* is ``KeyUnknown``
(retry later), never a forgery: its process may just not have started.
"""

import base64
import binascii
from pathlib import Path

import rfc8785
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from services.common import config, keyfiles

# Who signs: the four services (their events) and the gateway (RPC caller contexts).
PARTIES = ("nomination", "examination", "supervision", "records", "gateway")
SIGNATURE = "signature"  # the envelope's field
CONTEXT_PREFIX = "cadre_"
CONTEXT_SIGNATURE = "cadre_signature"  # the context's entry; every other cadre_* entry is signed


class Rejected(Exception):
    """Not signed, or not by whom it claims: to be refused for good. ``reason`` is a metric label."""

    def __init__(self, reason, detail):
        super().__init__(detail)
        self.reason = reason


class KeyUnknown(Exception):
    """The claimed signer's public key is not known to this process yet: try again later."""


def key_from_b64(text):
    """The signing key whose 32-byte seed is base64 ``text``; ValueError if it is not one."""
    try:
        seed = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raise ValueError("a signing key must be base64") from None
    if len(seed) != 32:
        raise ValueError(f"a signing key seed must be 32 bytes, not {len(seed)}")
    return SigningKey(seed)


def key_to_b64(key):
    return base64.b64encode(bytes(key)).decode("ascii")


def public_b64(key):
    """Base64 of the raw 32-byte Ed25519 public key of signing key ``key``."""
    return base64.b64encode(bytes(key.verify_key)).decode("ascii")


def _verify_key_from_b64(text):
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a public key must be base64") from None
    if len(raw) != 32:
        raise ValueError(f"a public key must be 32 bytes, not {len(raw)}")
    return VerifyKey(raw)


def _setting(party, kind):
    return config.get(f"{party.upper()}_{kind}")


def _key_path(party, suffix):
    # not config.data_dir(): that creates the folder, and this runs for every message verified
    return Path(config.get("CADRE_DATA_DIR")) / "keys" / f"{party}.{suffix}"


_signing_keys = {}
_public_keys = {}


def signing_key(party):
    """This process's signing key as ``party``: from its setting, or made once into the data dir.

    Loading it also publishes its public key beside it, so other processes on the same data dir learn it.
    """
    path = _key_path(party, "key")
    cached = _signing_keys.get((party, path))
    if cached is not None:
        return cached
    configured = _setting(party, "SIGNING_KEY")
    text = configured or keyfiles.read_or_create(path, lambda: key_to_b64(SigningKey.generate()))
    try:
        key = key_from_b64(text)
    except ValueError as exc:
        where = f"{party.upper()}_SIGNING_KEY" if configured else str(path)
        raise RuntimeError(f"{where}: {exc}") from None
    pub = _key_path(party, "pub")
    try:
        if keyfiles.read(pub) != public_b64(key):
            keyfiles.replace(pub, public_b64(key))
    except OSError:
        if not configured:
            raise
        # a configured key's peers are told its public key by their own settings; nothing is lost
    _signing_keys[(party, path)] = key
    return key


def public_key(party):
    """The VerifyKey of ``party``, or None while it is not known (see the module's docstring)."""
    if party not in PARTIES:
        return None
    path = _key_path(party, "pub")
    cached = _public_keys.get((party, path))
    if cached is not None:
        return cached
    configured = _setting(party, "PUBLIC_KEY")
    text = configured or keyfiles.read(path)
    if text:
        try:
            key = _verify_key_from_b64(text)
        except ValueError as exc:
            raise RuntimeError(f"{party.upper()}_PUBLIC_KEY: {exc}" if configured else f"{path}: {exc}") from None
    elif _setting(party, "SIGNING_KEY"):
        key = signing_key(party).verify_key
    else:
        return None
    _public_keys[(party, path)] = key
    return key


def _canonical(doc, without):
    return rfc8785.dumps({k: v for k, v in doc.items() if k != without})


def _signature(key, message):
    return base64.b64encode(key.sign(message).signature).decode("ascii")


def _check(party, message, signature):
    key = public_key(party)
    if key is None:
        raise KeyUnknown(f"the public key of {party} is not known yet")
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(message, raw)
    except (binascii.Error, ValueError, BadSignatureError):
        raise Rejected("forged", f"the signature does not verify for {party}") from None


# --- event envelopes --------------------------------------------------------------------------------


def sign_document(key, doc):
    """``doc`` with ``signature``: ``key`` over the JCS of ``doc`` without it."""
    return dict(doc, **{SIGNATURE: _signature(key, _canonical(doc, SIGNATURE))})


def sign_envelope(envelope):
    """The envelope signed by its ``source`` (this process must hold that party's key)."""
    return sign_document(signing_key(envelope["source"]), envelope)


def verify_envelope(envelope, source=None):
    """Nothing if ``envelope`` is signed by its ``source`` (and that is ``source`` when given);
    else ``Rejected`` or ``KeyUnknown``."""
    if not isinstance(envelope, dict):
        raise Rejected("malformed", "not an envelope")
    signature = envelope.get(SIGNATURE)
    if not isinstance(signature, str) or not signature:
        raise Rejected("unsigned", "the envelope carries no signature")
    claimed = envelope.get("source")
    if source is not None and claimed != source:
        raise Rejected("wrong_source", f"an envelope from {str(claimed)[:64]!r} on {source}'s exchange")
    if claimed not in PARTIES:
        raise Rejected("unknown_source", f"no party {str(claimed)[:64]!r} signs events")
    verify_document(envelope, claimed)


def verify_document(doc, party):
    """Nothing if ``party`` signed ``doc`` (as ``sign_document`` does); else ``Rejected`` or ``KeyUnknown``."""
    signature = doc.get(SIGNATURE) if isinstance(doc, dict) else None
    if not isinstance(signature, str) or not signature:
        raise Rejected("unsigned", "no signature")
    try:
        message = _canonical(doc, SIGNATURE)
    except (TypeError, ValueError, rfc8785.CanonicalizationError):
        raise Rejected("malformed", "no canonical form") from None
    _check(party, message, signature)


# --- RPC caller contexts ----------------------------------------------------------------------------


def _context_entries(data):
    return {k: v for k, v in data.items() if k.startswith(CONTEXT_PREFIX) and k != CONTEXT_SIGNATURE}


def sign_context(key, data):
    """``data`` with ``cadre_signature`` over every other ``cadre_*`` entry (whatever they are)."""
    return dict(data, **{CONTEXT_SIGNATURE: _signature(key, rfc8785.dumps(_context_entries(data)))})


def verify_context(data, now, deadline_entry):
    """Nothing if the gateway signed the ``cadre_*`` entries of ``data`` and ``deadline_entry`` has not
    passed at ``now``; else ``Rejected`` (reason ``unsigned``, ``forged`` or ``expired``) or ``KeyUnknown``."""
    signature = data.get(CONTEXT_SIGNATURE)
    if not isinstance(signature, str) or not signature:
        raise Rejected("unsigned", "the request carries no signed caller context")
    try:
        message = rfc8785.dumps(_context_entries(data))
    except (TypeError, ValueError, rfc8785.CanonicalizationError):
        raise Rejected("forged", "the caller context has no canonical form") from None
    _check("gateway", message, signature)
    try:
        deadline = float(data[deadline_entry])
    except (KeyError, TypeError, ValueError):
        raise Rejected("unsigned", "the caller context has no expiry") from None
    if now > deadline:
        raise Rejected("expired", "the caller context has expired")
