"""The interview draw and the codes given to applicants."""

import hashlib
import random
import re
import secrets

import pytest

from services.common.errors import Invalid
from services.examination.domain.codes import BLIND_ALPHABET, assign_blind_codes, exam_number, new_blind_code
from services.examination.domain.draw import Lot, draw_interview, new_seed

VENDORS = [f"V{i}" for i in range(7)]
CODES = [f"B{i:03d}" for i in range(30)]


def test_same_seed_same_draw_whatever_the_input_order():
    seed = new_seed(secrets.token_bytes)
    first = draw_interview(VENDORS, 5, CODES, seed)
    again = draw_interview(list(reversed(VENDORS)), 5, list(reversed(CODES)), seed)
    assert first == again and first.seed == seed


def test_draw_is_a_selection_and_a_permutation():
    draw = draw_interview(VENDORS, 5, CODES, new_seed(secrets.token_bytes))
    assert len(draw.examiners) == 5 and len(set(draw.examiners)) == 5 and set(draw.examiners) <= set(VENDORS)
    assert sorted(draw.order) == sorted(CODES)


def test_different_seeds_give_different_draws():
    orders = {tuple(draw_interview(VENDORS, 3, CODES, f"seed-{i}").order) for i in range(20)}
    assert len(orders) == 20


def test_every_vendor_can_be_drawn():
    seen = set()
    for i in range(200):
        seen.update(draw_interview(VENDORS, 1, [], f"s{i}").examiners)
    assert seen == set(VENDORS)


def test_published_algorithm_can_be_redone_independently():
    # The docstring's recipe, written out again from scratch.
    seed = "0f" * 32

    def stream(label):
        counter = 0
        while True:
            block = hashlib.sha256(f"cadre-draw-v1\n{label}\n{seed}\n".encode() + counter.to_bytes(8, "big")).digest()
            for k in range(0, 32, 8):
                yield int.from_bytes(block[k : k + 8], "big")
            counter += 1

    def shuffle(items, label):
        items, numbers = sorted(items), stream(label)
        for i in range(len(items) - 1, 0, -1):
            n = i + 1
            while True:
                x = next(numbers)
                if x < 2**64 - 2**64 % n:
                    break
            items[i], items[x % n] = items[x % n], items[i]
        return items

    draw = draw_interview(VENDORS, 4, CODES, seed)
    assert draw.examiners == shuffle(VENDORS, "examiners")[:4]
    assert draw.order == shuffle(CODES, "order")


def test_lot_is_roughly_uniform():
    lot, counts = Lot("uniform", "test"), [0] * 3
    for _ in range(3000):
        counts[lot.below(3)] += 1
    assert all(900 < c < 1100 for c in counts)


@pytest.mark.parametrize("examiners", [8, 0, -1, "3", True])
def test_impossible_examiner_counts(examiners):
    with pytest.raises(Invalid) as exc:
        draw_interview(VENDORS, examiners, CODES, new_seed(secrets.token_bytes))
    assert list(exc.value.errors) == ["examiners"]


def test_all_vendors_may_be_drawn():
    assert sorted(draw_interview(VENDORS, 7, CODES, "x").examiners) == sorted(VENDORS)


def test_seed_is_unpredictable_hex():
    a, b = new_seed(secrets.token_bytes), new_seed(secrets.token_bytes)
    assert re.fullmatch(r"[0-9a-f]{64}", a) and a != b


def test_exam_numbers():
    assert exam_number("GX2024", 1) == "GX2024-00001"
    assert exam_number("GX2024", 123456) == "GX2024-123456"
    assert len({exam_number("C", i) for i in range(1, 2000)}) == 1999
    with pytest.raises(ValueError):
        exam_number("C", 0)


def test_blind_codes_are_random_and_unique():
    code = new_blind_code(secrets.choice)
    assert len(code) == 10 and set(code) <= set(BLIND_ALPHABET)
    assert not set("0O1IL") & set(BLIND_ALPHABET)
    taken = {new_blind_code(secrets.choice) for _ in range(100)}
    fresh = assign_blind_codes(5000, taken, secrets.choice)
    assert len(fresh) == 5000 and len(set(fresh)) == 5000 and not set(fresh) & taken


def test_blind_codes_are_not_a_sequence():
    # Nothing about the order of applications can be read back from the codes.
    first, second = assign_blind_codes(50, (), secrets.choice), assign_blind_codes(50, (), secrets.choice)
    assert first != sorted(first) and not set(first) & set(second)


def test_randomness_is_a_parameter_so_a_seeded_source_repeats():
    assert assign_blind_codes(20, (), random.Random(7).choice) == assign_blind_codes(20, (), random.Random(7).choice)
    assert new_seed(lambda n: bytes(range(n))) == bytes(range(32)).hex()
