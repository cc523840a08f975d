"""Threshold custody of the campaign key: Shamir shares, their hashes, and rebuilding the key."""

import base64
import itertools

import pytest
from nacl.public import PrivateKey

from services.common.errors import Forbidden, RuleViolation
from services.examination.sealing import (
    UnsealQuorum,
    check_officer_share,
    combine,
    new_campaign_key,
    share_hash,
    split_key,
)
from services.examination.sealing.keys import clamp, new_campaign_keypair, public_key_of

CAMPAIGN = "GX2024"
OFFICERS = ["wang", "li", "zhang", "zhao", "chen"]


@pytest.fixture(scope="module")
def key():
    return new_campaign_key(CAMPAIGN, OFFICERS, 3)


def shares_of(key):
    return [s["share"] for s in key.key_shares]


def assert_invalid_share(call):
    with pytest.raises(RuleViolation) as exc:
        call()
    assert exc.value.code == "invalid_share"


def test_any_k_of_n_rebuild_the_key(key):
    rebuilt = set()
    for subset in itertools.combinations(shares_of(key), 3):
        private = combine(list(subset), key.public_key)
        assert public_key_of(private) == key.public_key
        rebuilt.add(private)
    assert len(rebuilt) == 1


def test_more_than_k_also_work(key):
    assert public_key_of(combine(shares_of(key), key.public_key)) == key.public_key


def test_fewer_than_k_fail(key):
    for subset in itertools.combinations(shares_of(key), 2):
        assert_invalid_share(lambda: combine(list(subset), key.public_key))


def test_split_and_combine_the_exact_bytes():
    pair = new_campaign_keypair()
    shares = split_key(pair.private_key, 2, 3)
    assert combine([shares[2], shares[0]], pair.public_key) == pair.private_key


def test_both_halves_matter():
    # A key whose halves differ must come back whole, not half right.
    private = clamp(bytes(range(32)))
    shares = split_key(private, 2, 2)
    assert combine(shares, public_key_of(private)) == private


def test_an_unclamped_key_comes_back_in_its_equivalent_clamped_form():
    private = bytes(range(1, 33))
    assert clamp(private) != private
    assert combine(split_key(private, 2, 3)[:2], public_key_of(private)) == clamp(private)


def test_a_share_of_another_campaign_fails(key):
    other = new_campaign_key("OTHER", OFFICERS, 3)
    assert_invalid_share(lambda: combine(shares_of(key)[:2] + shares_of(other)[2:3], key.public_key))


def test_a_repeated_share_fails(key):
    s = shares_of(key)
    assert_invalid_share(lambda: combine([s[0], s[0], s[1]], key.public_key))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: "not base64 at all!",
        lambda s: s[:-4],
        lambda s: base64.b64encode(base64.b64decode(s) + b"x").decode(),
        lambda s: base64.b64encode(b"\x02" + base64.b64decode(s)[1:]).decode(),  # unknown version
        lambda s: base64.b64encode(b"\x01\x00" + base64.b64decode(s)[2:]).decode(),  # index 0 is the secret itself
        lambda s: None,
    ],
)
def test_malformed_shares_fail(key, mangle):
    s = shares_of(key)
    bad = mangle(s[0])
    assert_invalid_share(lambda: combine([bad, s[1], s[2]], key.public_key))
    assert_invalid_share(lambda: share_hash(CAMPAIGN, bad))


def test_a_flipped_bit_in_either_half_fails(key):
    s = shares_of(key)
    # With shares 1, 2, 3 the first one's Lagrange weight is 1, so a flip in its
    # first byte lands on a bit X25519 ignores: the clamping check must catch it.
    for position in (2, 3, 17, 20, 33):
        raw = bytearray(base64.b64decode(s[0]))
        raw[position] ^= 1
        flipped = base64.b64encode(bytes(raw)).decode()
        assert_invalid_share(lambda: combine([flipped, s[1], s[2]], key.public_key))


def test_the_service_keeps_only_hashes(key):
    assert set(key.share_hashes) == set(OFFICERS)
    for entry in key.key_shares:
        digest = key.share_hashes[entry["officer"]]
        assert len(digest) == 64 and digest == digest.lower()
        assert digest == share_hash(CAMPAIGN, entry["share"])
        assert entry["share"] not in digest
    assert share_hash("OTHER", key.key_shares[0]["share"]) != key.share_hashes[OFFICERS[0]]


def test_each_officer_must_give_their_own_share(key):
    s = {e["officer"]: e["share"] for e in key.key_shares}
    check_officer_share(CAMPAIGN, "li", s["li"], key.share_hashes)
    assert_invalid_share(lambda: check_officer_share(CAMPAIGN, "li", s["wang"], key.share_hashes))
    with pytest.raises(Forbidden):
        check_officer_share(CAMPAIGN, "stranger", s["li"], key.share_hashes)


def test_unseal_quorum(key):
    s = {e["officer"]: e["share"] for e in key.key_shares}
    quorum = UnsealQuorum(CAMPAIGN, 3, key.share_hashes, key.public_key)
    assert quorum.add("wang", s["wang"]) == 1
    assert quorum.add("wang", s["wang"]) == 1  # the same officer twice is still one
    assert_invalid_share(lambda: quorum.add("li", s["zhao"]))
    assert quorum.add("li", s["li"]) == 2 and not quorum.ready
    quorum.add("chen", s["chen"])
    assert quorum.ready
    assert public_key_of(quorum.private_key()) == key.public_key


def test_one_of_one():
    key = new_campaign_key(CAMPAIGN, ["solo"], 1)
    assert public_key_of(combine(shares_of(key), key.public_key)) == key.public_key


def test_public_key_is_raw_x25519(key):
    raw = base64.b64decode(key.public_key)
    assert len(raw) == 32
    assert bytes(PrivateKey(combine(shares_of(key)[:3], key.public_key)).public_key) == raw
