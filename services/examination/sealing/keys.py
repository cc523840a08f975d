"""Vendor signing keys (Ed25519) and campaign encryption keys (X25519)."""

from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey
from nacl.signing import SigningKey, VerifyKey

from services.common.errors import Invalid
from services.examination.sealing.encoding import decode_b64, encode_b64

KEY_BYTES = 32


@dataclass(frozen=True)
class VendorKeys:
    """A vendor's Ed25519 keypair, both halves base64 of the raw 32 bytes.

    ``signing_key`` is the private seed the vendor keeps; ``verify_key`` is the
    ``signing_key`` field of the vendor registration.
    """

    signing_key: str
    verify_key: str


def keygen():
    """Make a new vendor keypair (vendor side)."""
    key = SigningKey.generate()
    return VendorKeys(encode_b64(bytes(key)), encode_b64(bytes(key.verify_key)))


def parse_verify_key(value, field="signing_key"):
    """A registered vendor's public key from base64, or ``Invalid`` naming ``field``."""
    raw = decode_b64(value, field, KEY_BYTES)
    try:
        return VerifyKey(raw)
    except (CryptoError, ValueError, TypeError):
        raise Invalid({field: ["is not an Ed25519 public key"]}) from None


def load_signing_key(value, field="signing_key"):
    """A vendor's private signing key: a ``SigningKey``, raw 32-byte seed, or its base64."""
    if isinstance(value, SigningKey):
        return value
    raw = value if isinstance(value, (bytes, bytearray)) else decode_b64(value, field, KEY_BYTES)
    if len(raw) != KEY_BYTES:
        raise Invalid({field: [f"must be {KEY_BYTES} bytes"]})
    return SigningKey(bytes(raw))


@dataclass(frozen=True)
class CampaignKeypair:
    """A campaign's X25519 keypair; the private half must never be stored whole."""

    private_key: bytes
    public_key: str  # base64 of the raw 32 bytes, as API.md's ``public_key``


def clamp(private_key_bytes):
    """The canonical form of an X25519 private key (RFC 7748 ``decodeScalar25519``).

    X25519 ignores five bits of the key, so 32 different byte strings share one
    public key; only the clamped one is accepted back from the shares, which
    makes a rebuilt key that matches the public key the very key that was split.
    """
    raw = bytearray(private_key_bytes)
    raw[0] &= 248
    raw[31] &= 127
    raw[31] |= 64
    return bytes(raw)


def new_campaign_keypair():
    key = PrivateKey(clamp(bytes(PrivateKey.generate())))
    return CampaignKeypair(bytes(key), encode_b64(bytes(key.public_key)))


def parse_public_key(value, field="public_key"):
    return PublicKey(decode_b64(value, field, KEY_BYTES))


def public_key_of(private_key_bytes):
    """Base64 public key that belongs to a raw X25519 private key."""
    return encode_b64(bytes(PrivateKey(bytes(private_key_bytes)).public_key))
