"""The interview draw: examiners drawn at random and candidates' order drawn by lot (抽签), re-checkable from the seed.

Anyone can redo a draw from its published seed with this algorithm (no Python
``random``, whose output is not a published standard):

- the random stream for a ``label`` ("examiners" or "order") is the
  concatenation of ``SHA-256("cadre-draw-v1\\n" + label + "\\n" + seed + "\\n" + counter)``
  for counter = 0, 1, 2 ... as 8-byte big-endian integers;
- a uniform integer below ``n`` takes the next 8 bytes of the stream as a
  big-endian integer ``x`` and returns ``x mod n``, skipping any ``x`` at or above
  the largest multiple of ``n`` that fits in 64 bits (so no value is favoured);
- a shuffle is Fisher–Yates over the input sorted by code: for ``i`` from
  ``len - 1`` down to 1, swap item ``i`` with item ``uniform(i + 1)``;
- examiners are the first ``examiners`` of the shuffled interview vendors;
  the order is the shuffled blind codes.
"""

import hashlib
from dataclasses import dataclass

from services.common.errors import Invalid

_CONTEXT = "cadre-draw-v1"
_SPACE = 1 << 64


SEED_BYTES = 32


def new_seed(random_bytes):
    """A fresh seed (64 lowercase hex characters) to record with the draw, from ``random_bytes(n)``
    (``secrets.token_bytes`` in the service): unpredictable until drawn, repeatable after."""
    return random_bytes(SEED_BYTES).hex()


class Lot:
    """A deterministic uniform random stream derived from a seed and a label."""

    def __init__(self, seed, label):
        self._prefix = f"{_CONTEXT}\n{label}\n{seed}\n".encode("utf-8")
        self._counter = 0
        self._buffer = b""

    def _next64(self):
        if len(self._buffer) < 8:
            block = hashlib.sha256(self._prefix + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            self._buffer += block
        value, self._buffer = int.from_bytes(self._buffer[:8], "big"), self._buffer[8:]
        return value

    def below(self, n):
        limit = _SPACE - _SPACE % n
        while True:
            x = self._next64()
            if x < limit:
                return x % n

    def shuffle(self, items):
        items = sorted(items)
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]
        return items


@dataclass(frozen=True)
class InterviewDraw:
    examiners: list  # vendor codes
    order: list  # blind codes, in the order candidates are interviewed
    seed: str


def draw_interview(interview_vendors, examiners, blind_codes, seed):
    """Draw ``examiners`` of the assigned interview vendors and the candidates' order, from ``seed``.

    Asking for more examiners than there are assigned interview vendors, or for
    fewer than one, is a malformed request: 400 ``invalid`` on ``examiners``.
    """
    vendors = sorted(set(interview_vendors))
    if isinstance(examiners, bool) or not isinstance(examiners, int) or examiners < 1:
        raise Invalid({"examiners": ["must be a positive whole number"]})
    if examiners > len(vendors):
        raise Invalid({"examiners": [f"only {len(vendors)} interview vendors are assigned to this campaign"]})
    if not isinstance(seed, str) or not seed:
        raise ValueError("a draw needs a seed")
    drawn = Lot(seed, "examiners").shuffle(vendors)[:examiners]
    order = Lot(seed, "order").shuffle(set(blind_codes))
    return InterviewDraw(examiners=drawn, order=order, seed=seed)
