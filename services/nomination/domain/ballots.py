"""Secret-ballot recommendation sessions (无记名推荐): session terms, single-use tokens, casting rules, the tally.

A token is random and single-use; only its keyed hash is stored, and a stored ballot is
just its list of choices, so nothing links a ballot to a voter. The rules draw no randomness of their
own: tokens, trackers and the deal into buckets come from the ``rng`` their caller passes (a
``secrets.SystemRandom`` in the service, a seeded ``random.Random`` in a test).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from services.common.errors import Conflict, Forbidden, Invalid
from services.nomination.contract import TRACKER_BYTES

from ._checks import FieldErrors, is_code, is_int
from .meetings import has_quorum
from .stages import Action, check_stage
from .vocabulary import SESSION_KINDS

MAX_ELECTORATE = 50_000
MAX_CANDIDATES = 500
TOKEN_BYTES = 32
# Of a tagged token's bytes, the tag's (the other 16 are random: 128 bits to guess, and the tag 128 more).
TAG_BYTES = 16
MIN_KEY_BYTES = 16
# Unused-token hashes per ballot bucket (the last bucket of a session may hold fewer).
BUCKET_SIZE = 100


@dataclass(frozen=True)
class SessionTerms:
    """What a ballot session is opened with; ``electorate`` is also the number of tokens issued."""

    kind: str
    electorate: int
    seats: int
    candidates: tuple


def open_session(stage, *, kind, electorate, seats, candidates) -> SessionTerms:
    """400 for bad fields, then the stage rule (ballot sessions belong to ``recommendation``)."""
    errors = FieldErrors()
    if kind not in SESSION_KINDS:
        errors.add("kind", f"must be one of {', '.join(SESSION_KINDS)}")
    if not (is_int(electorate) and 1 <= electorate <= MAX_ELECTORATE):
        errors.add("electorate", f"must be a whole number from 1 to {MAX_ELECTORATE}")
    if not (is_int(seats) and seats >= 1):
        errors.add("seats", "must be a whole number of at least 1")
    if not (isinstance(candidates, (list, tuple)) and 1 <= len(candidates) <= MAX_CANDIDATES):
        errors.add("candidates", f"must list 1 to {MAX_CANDIDATES} cadre codes")
    elif not all(is_code(c) for c in candidates):
        errors.add("candidates", "every item must be a cadre code")
    elif len(set(candidates)) != len(candidates):
        errors.add("candidates", "must not repeat a cadre")
    errors.raise_if_any()
    check_stage(Action.BALLOT_SESSION, stage)
    return SessionTerms(kind, electorate, seats, tuple(candidates))


def issue_tokens(n: int, nbytes: int = TOKEN_BYTES, session: str = "", *, rng, key: bytes | None = None) -> list[str]:
    """``n`` distinct random single-use tokens (URL-safe text of ``nbytes`` of ``rng``), each
    ``<session>.<random>`` when a ``session`` is given: the session id tells the server where to look
    (the voter knows which session they vote in anyway); the random part is what makes the token.

    With ``key``, the last ``TAG_BYTES`` of those bytes are a tag only the key makes from the session and
    the rest (``token_is_issued``): a forged or mistyped token is refused without a look at the
    database, and a tagged token no bucket holds unused can only have been cast."""
    tokens: set[str] = set()
    while len(tokens) < n:
        if key is None:
            drawn = rng.randbytes(nbytes)
        else:
            random_part = rng.randbytes(nbytes - TAG_BYTES)
            drawn = random_part + _tag(key, session, random_part)
        text = _urlsafe(drawn)
        tokens.add(f"{session}.{text}" if session else text)
    return list(tokens)


def _tag(key: bytes, session: str, random_part: bytes) -> bytes:
    # under a key of its own derived from the ballot key, so that no tag is ever a token's stored hash
    tag_key = hmac.new(bytes(key), b"cadre ballot token tag", hashlib.sha256).digest()
    return hmac.new(tag_key, session.encode("utf-8") + b"." + random_part, hashlib.sha256).digest()[:TAG_BYTES]


def token_is_issued(token: str, key: bytes, nbytes: int = TOKEN_BYTES) -> bool:
    """Whether ``token`` carries the tag ``issue_tokens`` gives a token under ``key``, in the one spelling
    it was issued in (another base64 spelling of the same bytes is another token, never stored)."""
    session, _, text = token.partition(".")
    if not session_of_token(token):
        return False
    try:
        drawn = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return False
    if len(drawn) != nbytes or _urlsafe(drawn) != text:
        return False
    return hmac.compare_digest(drawn[-TAG_BYTES:], _tag(key, session, drawn[:-TAG_BYTES]))


def _urlsafe(data: bytes) -> str:
    """As ``secrets.token_urlsafe`` writes its bytes: base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def session_of_token(token: str) -> str:
    """The session a token names ("" when it names none: such a token is unknown)."""
    session, dot, rest = token.partition(".")
    return session if dot and session and rest else ""


def token_hash(token: str, key: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``token`` under the server's ``key``: what is stored instead of the token.

    Keyed, so that a copy of the database alone cannot test guesses against it.
    """
    if not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the token key must be at least {MIN_KEY_BYTES} bytes")
    return hmac.new(bytes(key), token.encode("utf-8"), hashlib.sha256).hexdigest()


def token_hashes(tokens: Iterable[str], key: bytes) -> list[str]:
    return [token_hash(token, key) for token in tokens]


def token_matches(token: str, key: bytes, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token, key), stored_hash)


def deal_buckets(hashes: Sequence[str], size: int = BUCKET_SIZE, *, rng) -> list[list[str]]:
    """Deal a session's token hashes into ``ceil(n / size)`` buckets at random (shuffled by ``rng``).

    A cast is one atomic update of the bucket that holds the token's hash (pull the hash, push the
    ballot), so the bucket a ballot lands in is the bucket its token was dealt to. The deal is
    therefore random and recorded nowhere but in the buckets' ``unused`` lists, from which a cast
    pulls the hash: once cast, nothing — not the key, the token and a copy of the database together —
    tells which bucket, let alone which ballot, a token went to. (A bucket derived from the hash, or
    from the token's place in the issued list, would let whoever knows a voter's token narrow their
    ballot down to one bucket.) Buckets of ``size`` keep every bucket's list short and a session's
    buckets few.
    """
    if size < 1:
        raise ValueError("a bucket holds at least one token")
    shuffled = list(hashes)
    rng.shuffle(shuffled)
    count = max(1, math.ceil(len(shuffled) / size))
    return [shuffled[i::count] for i in range(count)]


def encode_choices(choices: Sequence[str]) -> str:
    """A ballot as stored: the JSON of its choices, sorted. Sorting loses nothing the tally needs
    (validity and counts do not depend on order) and removes a mark a voter could be told to leave
    ("list C3 before C1") to prove how they voted. A string, because ballots are ``$push``-ed."""
    return json.dumps(sorted(choices), ensure_ascii=False, separators=(",", ":"))


def decode_choices(stored: str) -> tuple:
    return tuple(json.loads(stored))


# --- voter receipts (trackers) and the ballot board ----------------------------------------------

TRACKER = re.compile(r"^[0-9a-f]{32}$")


def new_tracker(*, rng) -> str:
    """A voter's receipt: 32 lowercase hex characters of fresh randomness from ``rng``, derived from
    nothing (not the token, not the choices, not the time), so that nothing stored can be linked to it."""
    return rng.randbytes(TRACKER_BYTES).hex()


def is_tracker(text) -> bool:
    return isinstance(text, str) and TRACKER.match(text) is not None


def tracker_shard(tracker: str) -> str:
    """Which of a session's tracker sets holds ``tracker``: its first hex digit (it is random, so the
    sets fill evenly and a cast contends with a sixteenth of the meeting)."""
    return tracker[0]


TRACKER_SHARDS = tuple("0123456789abcdef")


def with_tracker(trackers: Sequence[str], tracker: str) -> list:
    """The stored set with ``tracker`` added, SORTED: the set never keeps the order trackers came in,
    which would be the order of casting (and a bucket's ballots are in casting order)."""
    return sorted({*trackers, tracker})


def missing_trackers(ballots: int, trackers: int) -> int:
    """Trackers the close must add so that there are as many as ballots: a cast stores its ballot
    before its tracker, so a cast killed in between leaves a ballot without one (and never the other
    way round). The added ones are spares: a cast still finishing when the session closed takes one."""
    return max(0, ballots - trackers)


def check_board(*, tallied: bool) -> None:
    """The board exists once the session is closed and counted; before that 409 ``wrong_stage``
    (the call belongs to a later stage of the session than the one it is in)."""
    if not tallied:
        raise Conflict("the ballot session is not closed yet; its board is published at the close", "wrong_stage")


def board(ballots: Iterable[Sequence[str]], trackers: Iterable[str], *, terms: "SessionTerms") -> dict:
    """``{trackers, ballots}`` of the board: trackers sorted, ballots ``{choices, valid}`` sorted by their
    choices — both orders say nothing about when or by whom, and counting the ballots gives the tally."""
    candidate_set = frozenset(terms.candidates)
    listed = sorted((list(choices) for choices in ballots))
    return {
        "trackers": sorted(trackers),
        "ballots": [
            {"choices": choices, "valid": ballot_is_valid(choices, candidate_set, terms.seats)} for choices in listed
        ],
    }


def refuse_cast(*, in_unused: bool, bucket_closed: bool, marked_used: bool) -> None:
    """Why a cast whose atomic update matched nothing was refused: 409 ``session_closed``, 409
    ``token_used`` or 403 ``invalid_token``; returns (the caller tries again) only when the hash is
    still unused in an open bucket, i.e. the update lost a race with nothing that refuses it.

    ``in_unused``: the hash is still in a bucket's ``unused`` list (so the bucket closed first).
    Otherwise the hash was cast — every casting attempt marks the hash used *before* its atomic
    update, so a hash gone from ``unused`` is always marked — or it was never issued.
    """
    if in_unused:
        if bucket_closed:
            raise Conflict("the ballot session is closed", "session_closed")
        return
    if marked_used:
        raise Conflict("the ballot token has been used", "token_used")
    raise Forbidden("the ballot token is not valid", "invalid_token")


def parse_choices(choices) -> tuple:
    """400 only when ``choices`` is not a list of strings; validity is the tally's matter."""
    if not (
        isinstance(choices, (list, tuple))
        and len(choices) <= MAX_CANDIDATES
        and all(isinstance(c, str) for c in choices)
    ):
        raise Invalid({"choices": [f"must be a list of at most {MAX_CANDIDATES} cadre codes"]})
    return tuple(choices)


def check_ballot(*, token_known: bool, token_used: bool, session_closed: bool, stage=None) -> None:
    """The casting rules, in this order: 403 ``invalid_token``, 409 ``token_used``, 409 ``session_closed``,
    then, when the selection's ``stage`` is given, the stage rule (ballots belong to ``recommendation``).

    The token comes first because until it is known there is no session or selection to speak of.
    """
    if not token_known:
        raise Forbidden("the ballot token is not valid", "invalid_token")
    if token_used:
        raise Conflict("the ballot token has been used", "token_used")
    if session_closed:
        raise Conflict("the ballot session is closed", "session_closed")
    if stage is not None:
        check_stage(Action.BALLOT, stage)


def ballot_is_valid(choices: Sequence[str], candidates: frozenset, seats: int) -> bool:
    """Invalid: more choices than seats, a choice not on the list, or the same choice twice.

    A blank ballot (no choice) is valid: an abstention.
    """
    if len(choices) > seats:
        return False
    chosen = set(choices)
    return len(chosen) == len(choices) and chosen <= candidates


@dataclass(frozen=True)
class Tally:
    cast: int
    valid: int
    invalid: int
    turnout: float
    quorum_met: bool
    results: tuple  # ((cadre, votes), ...) by votes descending, ties by cadre code

    def votes(self) -> dict:
        return dict(self.results)

    def as_dict(self) -> dict:
        """The result of ``POST /ballot-sessions/{id}/close``."""
        return {
            "cast": self.cast,
            "valid": self.valid,
            "invalid": self.invalid,
            "turnout": self.turnout,
            "quorum_met": self.quorum_met,
            "results": [{"cadre": c, "votes": v} for c, v in self.results],
        }


def tally(ballots: Iterable[Sequence[str]], *, candidates: Sequence[str], seats: int, electorate: int) -> Tally:
    """Count a session's ballots; every candidate appears in ``results``, with 0 if nobody chose them."""
    candidate_set = frozenset(candidates)
    counts: Counter = Counter({c: 0 for c in candidate_set})
    cast = valid = 0
    for choices in ballots:
        cast += 1
        if ballot_is_valid(choices, candidate_set, seats):
            valid += 1
            counts.update(choices)
    results = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return Tally(
        cast=cast,
        valid=valid,
        invalid=cast - valid,
        turnout=cast / electorate if electorate else 0.0,
        quorum_met=has_quorum(cast, electorate),
        results=results,
    )


def close_session(stage, ballots, *, terms: SessionTerms, already_closed: bool) -> Tally:
    """Closing: the stage rule, 409 ``session_closed`` if closed before, then the tally."""
    check_stage(Action.CLOSE_SESSION, stage)
    if already_closed:
        raise Conflict("the ballot session is closed", "session_closed")
    return tally(ballots, candidates=terms.candidates, seats=terms.seats, electorate=terms.electorate)


@dataclass(frozen=True)
class SessionOutcome:
    """A ballot session as the nomination and ranking rules see it."""

    id: str
    selection: str
    kind: str
    closed: bool
    quorum_met: bool
    valid: int
    votes: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_tally(cls, id: str, selection: str, kind: str, result: Tally) -> "SessionOutcome":
        return cls(id, selection, kind, True, result.quorum_met, result.valid, result.votes())

    @property
    def usable(self) -> bool:
        """Only a closed session with quorum counts; one without quorum is void."""
        return self.closed and self.quorum_met
