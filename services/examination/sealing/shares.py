"""Threshold custody of a campaign's private key: Shamir k-of-n shares, one per unsealing officer.

pycryptodome's ``Shamir`` shares 16-byte secrets over GF(2^128). The 32-byte
X25519 key is split into two 16-byte halves, each shared separately with the
same indices; one officer's share carries the index and both halves, encoded as
base64 of ``version (1 byte) ‖ index (1 byte) ‖ first-half share (16) ‖ second-half share (16)``.
"""

import binascii
import hashlib
import hmac
from dataclasses import dataclass, field

from Crypto.Protocol.SecretSharing import Shamir

from services.common.errors import Forbidden, Invalid, RuleViolation
from services.examination.sealing.encoding import encode_b64
from services.examination.sealing.keys import KEY_BYTES, clamp, new_campaign_keypair, public_key_of

SHARE_VERSION = 1
MAX_OFFICERS = 255  # the index travels in one byte
_HALF = KEY_BYTES // 2
_SHARE_BYTES = 2 + 2 * _HALF


def _invalid_share():
    # Never say which part was wrong: the caller learns nothing to refine a guess with.
    return RuleViolation("the share is not a valid share of this campaign's key", "invalid_share")


def split_key(private_key_bytes, threshold, n):
    """Split a 32-byte X25519 private key into ``n`` share strings, any ``threshold`` of which rebuild it.

    The key is split in its clamped form (``keys.clamp``), which X25519 uses identically.
    """
    if len(private_key_bytes) != KEY_BYTES:
        raise ValueError("the private key must be 32 bytes")
    private_key_bytes = clamp(private_key_bytes)
    if not 1 <= threshold <= n <= MAX_OFFICERS:
        raise Invalid({"unseal.threshold": [f"must be between 1 and the number of officers (at most {MAX_OFFICERS})"]})
    first = Shamir.split(threshold, n, bytes(private_key_bytes[:_HALF]))
    second = Shamir.split(threshold, n, bytes(private_key_bytes[_HALF:]))
    shares = []
    for (index, a), (index_b, b) in zip(first, second):
        assert index == index_b  # both halves must be evaluated at the same point
        shares.append(encode_b64(bytes([SHARE_VERSION, index]) + a + b))
    return shares


def decode_share(share):
    """``(index, first_half, second_half)`` of a share string, or 422 ``invalid_share``."""
    if not isinstance(share, str):
        raise _invalid_share()
    try:
        raw = binascii.a2b_base64(share.encode("ascii"), strict_mode=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _invalid_share() from None
    if len(raw) != _SHARE_BYTES or raw[0] != SHARE_VERSION or raw[1] == 0:
        raise _invalid_share()
    return raw[1], raw[2 : 2 + _HALF], raw[2 + _HALF :]


def share_hash(campaign, share):
    """Lowercase hex SHA-256 of the share's bytes with the campaign code as context.

    What the service keeps instead of the share. The share holds 256 random bits,
    so the hash cannot be inverted by guessing.
    """
    index, a, b = decode_share(share)
    context = f"cadre-key-share-v1\n{campaign}\n".encode("utf-8")
    return hashlib.sha256(context + bytes([SHARE_VERSION, index]) + a + b).hexdigest()


def combine(shares, public_key_b64):
    """Rebuild the private key from shares; 422 ``invalid_share`` unless it matches ``public_key_b64``.

    Too few shares, a foreign share or a repeated one all rebuild some other
    key, which the public key check catches. A damaged share can also change
    only the bits X25519 ignores; the clamping check catches those.
    """
    decoded = [decode_share(s) for s in shares]
    if not decoded or len({index for index, _, _ in decoded}) != len(decoded):
        raise _invalid_share()
    first = Shamir.combine([(index, a) for index, a, _ in decoded])
    second = Shamir.combine([(index, b) for index, _, b in decoded])
    key = first + second
    if key != clamp(key) or not hmac.compare_digest(public_key_of(key), public_key_b64):
        raise _invalid_share()
    return key


@dataclass(frozen=True)
class CampaignKey:
    """What opening a campaign yields: the public key to publish, shares to hand out once, hashes to keep."""

    public_key: str
    key_shares: list  # [{"officer", "share"}], API.md's ``key_shares``; never stored
    share_hashes: dict  # officer -> share_hash; stored


def new_campaign_key(campaign, officers, threshold):
    """Generate a campaign's X25519 key and split it among ``officers`` (a list of distinct names)."""
    if len(set(officers)) != len(officers) or not officers:
        raise Invalid({"unseal.officers": ["must be a non-empty list of distinct names"]})
    pair = new_campaign_keypair()
    shares = split_key(pair.private_key, threshold, len(officers))
    return CampaignKey(
        public_key=pair.public_key,
        key_shares=[{"officer": o, "share": s} for o, s in zip(officers, shares)],
        share_hashes={o: share_hash(campaign, s) for o, s in zip(officers, shares)},
    )


def check_officer_share(campaign, officer, share, share_hashes):
    """Accept ``share`` only from a campaign officer and only if it is the one issued to them.

    ``share_hashes`` maps each officer to the hash kept at campaign opening.
    403 for a caller who is not an officer; 422 ``invalid_share`` otherwise.
    """
    expected = share_hashes.get(officer)
    if expected is None:
        raise Forbidden("only the campaign's unsealing officers may give a share")
    if not hmac.compare_digest(share_hash(campaign, share), expected):
        raise _invalid_share()


@dataclass
class UnsealQuorum:
    """Shares given so far for one unseal, held in memory only, until ``threshold`` officers have given theirs."""

    campaign: str
    threshold: int
    share_hashes: dict
    public_key: str
    given: dict = field(default_factory=dict)  # officer -> share

    def add(self, officer, share):
        """Check and record an officer's share; giving the same share again changes nothing."""
        check_officer_share(self.campaign, officer, share, self.share_hashes)
        self.given[officer] = share
        return len(self.given)

    @property
    def ready(self):
        return len(self.given) >= self.threshold

    def private_key(self):
        """Rebuild the key; the caller drops it (and this quorum) as soon as the sheets are open."""
        return combine(list(self.given.values()), self.public_key)
