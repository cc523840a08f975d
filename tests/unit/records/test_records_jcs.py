"""The fast canonical JSON writes exactly the bytes of the reference RFC 8785 implementation."""

import random
import string

import pytest
import rfc8785

from services.records.log import jcs
from services.records.log.entry import leaf_hash_of, make_entry

ALPHABET = string.printable + '\x00\x01\x1f\x7f\u2028\u2029é中文😀\ufeff"\\/'


def random_text(rng):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 40)))


def random_value(rng, depth=0):
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return None
    if kind == 1:
        return random_text(rng)
    if kind == 2:
        return rng.choice([True, False])
    if kind == 3:
        return rng.choice([0, -1, 7, 2**53 - 1, -(2**53) + 1, rng.randrange(-(10**9), 10**9)])
    if kind == 4:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 5:
        return rng.choice([0.5, 1e21, 1e-7, 88.5, -0.0, 3.0])
    return {random_text(rng)[:8] or "k": random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_same_bytes_as_the_reference_on_random_values():
    rng = random.Random(1234)
    for _ in range(3000):
        value = {random_text(rng)[:10] or "k": random_value(rng) for _ in range(rng.randrange(1, 6))}
        assert jcs.dumps(value) == rfc8785.dumps(value), value


def test_same_bytes_for_entries():
    rng = random.Random(99)
    for seq in range(500):
        fields = {"subject": random_text(rng), "stage": None, "matter": random_text(rng), "result": random_text(rng)}
        entry = make_entry(seq, "0" * 64 if seq == 0 else "a" * 64, fields)
        body = {k: v for k, v in entry.items() if k != "leaf_hash"}
        assert jcs.dumps(body) == rfc8785.dumps(body)
        assert leaf_hash_of(entry) == entry["leaf_hash"]


def test_lone_surrogates_are_refused_like_the_reference():
    with pytest.raises(Exception) as fast:
        jcs.dumps({"a": "\ud800"})
    with pytest.raises(Exception) as reference:
        rfc8785.dumps({"a": "\ud800"})
    assert type(fast.value) is type(reference.value)
