"""Exam numbers (准考证号) for people and blind codes (密号) for vendors.

Randomness comes in as ``pick``: a function choosing one character of a string uniformly
(``secrets.choice`` in the service; a seeded one in tests).
"""

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read aloud or copied by hand stays unambiguous.
BLIND_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
BLIND_LENGTH = 10  # 25**10 ≈ 2**46: guessing one code among thousands stays hopeless


def exam_number(campaign, sequence):
    """The exam number of a campaign's ``sequence``-th application (1-based): ``<campaign>-00001``.

    Unique within the campaign as long as the sequence is (the service takes it
    from an atomic counter); it widens past 99999 rather than wrapping.
    """
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{campaign}-{sequence:05d}"


def new_blind_code(pick):
    """A random blind code, independent of anything about the applicant."""
    return "".join(pick(BLIND_ALPHABET) for _ in range(BLIND_LENGTH))


def assign_blind_codes(count, taken, pick):
    """``count`` new blind codes, distinct from each other and from ``taken``."""
    used = set(taken)
    codes = []
    while len(codes) < count:
        code = new_blind_code(pick)
        if code not in used:
            used.add(code)
            codes.append(code)
    return codes
