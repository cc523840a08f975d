"""Ballot sessions: terms, tokens, casting rules and the tally."""

import base64
import random

import pytest

from services.common.errors import Conflict, Forbidden, Invalid, RuleViolation
from services.nomination.domain.ballots import (
    TAG_BYTES,
    TOKEN_BYTES,
    token_is_issued,
    SessionOutcome,
    SessionTerms,
    ballot_is_valid,
    check_ballot,
    close_session,
    issue_tokens,
    open_session,
    parse_choices,
    tally,
    token_hash,
    token_hashes,
    token_matches,
)

KEY = b"k" * 32
CANDIDATES = ["C1", "C2", "C3", "C4"]
CHANCE = random.Random(20240506)  # the rules take their randomness from the caller: a fixed one here


def test_open_session_terms():
    terms = open_session("recommendation", kind="democratic", electorate=30, seats=2, candidates=CANDIDATES)
    assert terms == SessionTerms("democratic", 30, 2, tuple(CANDIDATES))


@pytest.mark.parametrize(
    "field,value",
    [
        ("kind", "open"),
        ("electorate", 0),
        ("electorate", 50_001),
        ("seats", 0),
        ("candidates", []),
        ("candidates", ["C1", "C1"]),
        ("candidates", ["C 1"]),
    ],
)
def test_open_session_invalid(field, value):
    args = dict(kind="democratic", electorate=30, seats=2, candidates=CANDIDATES)
    args[field] = value
    with pytest.raises(Invalid) as exc:
        open_session("recommendation", **args)
    assert field in exc.value.errors


def test_open_session_out_of_stage():
    with pytest.raises(RuleViolation) as exc:
        open_session("consultation", kind="plenary", electorate=3, seats=1, candidates=["C1"])
    assert exc.value.code == "out_of_order"
    with pytest.raises(Conflict) as exc:
        open_session("inspection", kind="plenary", electorate=3, seats=1, candidates=["C1"])
    assert exc.value.code == "wrong_stage"


def test_tokens_are_distinct_random_url_safe():
    tokens = issue_tokens(500, rng=CHANCE)
    assert len(tokens) == len(set(tokens)) == 500
    assert all(
        len(t) >= 40 and set(t) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for t in tokens
    )
    assert set(issue_tokens(5, rng=CHANCE)).isdisjoint(tokens)


def test_tokens_come_from_the_callers_random_source():
    assert issue_tokens(3, rng=random.Random(1)) == issue_tokens(3, rng=random.Random(1))
    assert issue_tokens(3, rng=random.Random(1)) != issue_tokens(3, rng=random.Random(2))
    import base64
    import secrets

    drawn = random.Random(5).randbytes(32)
    # written as secrets.token_urlsafe writes its bytes
    assert issue_tokens(1, rng=random.Random(5)) == [base64.urlsafe_b64encode(drawn).rstrip(b"=").decode()]
    assert len(issue_tokens(1, rng=secrets.SystemRandom())[0]) == len(secrets.token_urlsafe(32))


def test_token_hash_is_keyed_hmac_sha256():
    import hashlib
    import hmac

    assert token_hash("abc", KEY) == hmac.new(KEY, b"abc", hashlib.sha256).hexdigest()
    assert token_hash("abc", KEY) != token_hash("abc", b"j" * 32)
    assert "abc" not in token_hash("abc", KEY)
    assert token_hashes(["a", "b"], KEY) == [token_hash("a", KEY), token_hash("b", KEY)]


def test_token_matches():
    stored = token_hash("tok", KEY)
    assert token_matches("tok", KEY, stored)
    assert not token_matches("tol", KEY, stored)


def test_token_key_must_be_long_enough():
    with pytest.raises(ValueError):
        token_hash("abc", b"short")


def test_casting_rules_in_order():
    with pytest.raises(Forbidden) as exc:
        check_ballot(token_known=False, token_used=True, session_closed=True)
    assert (exc.value.code, exc.value.status) == ("invalid_token", 403)
    with pytest.raises(Conflict) as exc:
        check_ballot(token_known=True, token_used=True, session_closed=True)
    assert exc.value.code == "token_used"
    with pytest.raises(Conflict) as exc:
        check_ballot(token_known=True, token_used=False, session_closed=True)
    assert exc.value.code == "session_closed"
    check_ballot(token_known=True, token_used=False, session_closed=False)


def test_casting_checks_the_stage_when_given():
    check_ballot(token_known=True, token_used=False, session_closed=False, stage="recommendation")
    with pytest.raises(Conflict) as exc:
        check_ballot(token_known=True, token_used=False, session_closed=False, stage="inspection")
    assert exc.value.code == "wrong_stage"
    with pytest.raises(Forbidden):
        check_ballot(token_known=False, token_used=False, session_closed=False, stage="inspection")


def test_choices_must_be_a_list_of_text_but_bad_picks_are_accepted():
    assert parse_choices(["C9", "C9", "C1"]) == ("C9", "C9", "C1")
    for bad in (None, "C1", [1], {"C1": 1}):
        with pytest.raises(Invalid):
            parse_choices(bad)


@pytest.mark.parametrize(
    "choices,valid",
    [
        (["C1", "C2"], True),
        ([], True),  # a blank ballot is an abstention
        (["C1", "C2", "C3"], False),  # over-marked
        (["C9"], False),  # not on the list
        (["C1", "C1"], False),  # the same choice twice
    ],
)
def test_ballot_validity(choices, valid):
    assert ballot_is_valid(choices, frozenset(CANDIDATES), 2) is valid


def test_tally_counts_and_orders():
    ballots = [["C2", "C1"], ["C2"], ["C3", "C2"], ["C1", "C2", "C3"], ["C9"], ["C1", "C1"], []]
    result = tally(ballots, candidates=CANDIDATES, seats=2, electorate=9)
    assert (result.cast, result.valid, result.invalid) == (7, 4, 3)
    assert result.turnout == pytest.approx(7 / 9)
    assert result.quorum_met is True
    assert result.as_dict()["results"] == [
        {"cadre": "C2", "votes": 3},
        {"cadre": "C1", "votes": 1},
        {"cadre": "C3", "votes": 1},
        {"cadre": "C4", "votes": 0},
    ]


def test_candidates_with_equal_votes_are_listed_by_code_whatever_order_they_were_chosen_in():
    candidates = [f"C{i}" for i in (7, 3, 5, 1, 8, 2, 6, 4)]
    ballots = [["C9"]] + [[c] for c in reversed(candidates)] + [["C5"]]  # C5 leads, the other seven tie on 1
    result = tally(ballots, candidates=candidates, seats=1, electorate=10)
    assert result.results == (("C5", 2), ("C1", 1), ("C2", 1), ("C3", 1), ("C4", 1), ("C6", 1), ("C7", 1), ("C8", 1))
    assert tally([], candidates=candidates, seats=1, electorate=10).results == tuple((c, 0) for c in sorted(candidates))


@pytest.mark.parametrize(
    "cast,electorate,met", [(6, 9, True), (5, 9, False), (2, 3, True), (1, 2, False), (0, 1, False)]
)
def test_tally_quorum_is_two_thirds_of_the_electorate(cast, electorate, met):
    assert tally([[]] * cast, candidates=["C1"], seats=1, electorate=electorate).quorum_met is met


def test_invalid_ballots_count_toward_quorum():
    result = tally([["C9"]] * 6, candidates=["C1"], seats=1, electorate=9)
    assert result.quorum_met and result.valid == 0 and result.cast == 6


def test_tally_ten_thousand_ballots():
    rng = random.Random(7)
    candidates = [f"C{i}" for i in range(20)]
    ballots = []
    for _ in range(10_000):
        ballots.append(rng.sample(candidates, rng.randint(0, 5)))
    result = tally(ballots, candidates=candidates, seats=4, electorate=12_000)
    over = sum(1 for b in ballots if len(b) > 4)
    assert result.cast == 10_000 and result.invalid == over
    assert sum(v for _, v in result.results) == sum(len(b) for b in ballots if len(b) <= 4)
    votes = [v for _, v in result.results]
    assert votes == sorted(votes, reverse=True)
    assert result.quorum_met is True


def test_close_session():
    terms = SessionTerms("democratic", 3, 1, ("C1", "C2"))
    result = close_session("recommendation", [["C1"], ["C1"], ["C2"]], terms=terms, already_closed=False)
    assert result.results[0] == ("C1", 2)
    with pytest.raises(Conflict) as exc:
        close_session("recommendation", [], terms=terms, already_closed=True)
    assert exc.value.code == "session_closed"
    with pytest.raises(Conflict) as exc:
        close_session("inspection", [], terms=terms, already_closed=False)
    assert exc.value.code == "wrong_stage"


def test_session_outcome_from_tally():
    result = tally([["C1"], ["C1"], ["C9"]], candidates=["C1", "C2"], seats=1, electorate=4)
    outcome = SessionOutcome.from_tally("S1", "sel1", "plenary", result)
    assert outcome.closed and outcome.quorum_met and outcome.usable
    assert outcome.valid == 2 and outcome.votes == {"C1": 2, "C2": 0}
    assert not SessionOutcome("S2", "sel1", "plenary", True, False, 1, {}).usable


def test_tally_ties_are_listed_by_cadre_code():
    result = tally([["B1", "A9"], ["C5"]], candidates=["C5", "B1", "A9"], seats=2, electorate=2)
    assert [c for c, _ in result.results] == ["A9", "B1", "C5"]


# --- buckets and stored ballots -------------------------------------------------------------------

from services.nomination.domain.ballots import (  # noqa: E402
    BUCKET_SIZE,
    decode_choices,
    deal_buckets,
    encode_choices,
    refuse_cast,
)


@pytest.mark.parametrize("n,buckets", [(1, 1), (3, 1), (BUCKET_SIZE, 1), (BUCKET_SIZE + 1, 2), (10_000, 100)])
def test_deal_buckets_sizes(n, buckets):
    hashes = [f"{i:064x}" for i in range(n)]
    dealt = deal_buckets(hashes, rng=CHANCE)
    assert len(dealt) == buckets
    assert sorted(h for bucket in dealt for h in bucket) == sorted(hashes)  # each hash in exactly one
    assert max(map(len, dealt)) - min(map(len, dealt)) <= 1 and max(map(len, dealt)) <= BUCKET_SIZE


def test_deal_buckets_is_random_not_derived_from_the_hash_or_the_order():
    hashes = [f"{i:064x}" for i in range(1000)]
    first, second = deal_buckets(hashes, rng=random.Random(1)), deal_buckets(hashes, rng=random.Random(2))
    assert first != second
    # not the issued order dealt round-robin, nor grouped by hash prefix
    assert first[0] != hashes[0::10] and first[0] != sorted(hashes)[:100]


def test_deal_buckets_rejects_empty_buckets():
    with pytest.raises(ValueError):
        deal_buckets(["a"], size=0, rng=CHANCE)


def test_choices_encoding_is_a_sorted_string_round_trip():
    stored = encode_choices(["C3", "C1", "张三"])
    assert isinstance(stored, str) and stored == encode_choices(["C1", "张三", "C3"])
    assert decode_choices(stored) == ("C1", "C3", "张三")
    assert decode_choices(encode_choices([])) == ()
    # a repeated choice survives the encoding, so the tally still counts the ballot invalid
    assert not ballot_is_valid(decode_choices(encode_choices(["C1", "C1"])), frozenset(CANDIDATES), 2)


def test_refuse_cast_order():
    with pytest.raises(Conflict) as exc:
        refuse_cast(in_unused=True, bucket_closed=True, marked_used=True)  # marked by an earlier attempt
    assert exc.value.code == "session_closed"
    assert refuse_cast(in_unused=True, bucket_closed=False, marked_used=True) is None
    with pytest.raises(Conflict) as exc:
        refuse_cast(in_unused=False, bucket_closed=False, marked_used=True)
    assert exc.value.code == "token_used"
    with pytest.raises(Forbidden) as exc:
        refuse_cast(in_unused=False, bucket_closed=False, marked_used=False)
    assert exc.value.code == "invalid_token"


def test_tokens_name_their_session():
    from services.nomination.domain.ballots import session_of_token

    tokens = issue_tokens(5, session="abc123", rng=CHANCE)
    assert len(set(tokens)) == 5 and all(session_of_token(t) == "abc123" for t in tokens)
    assert all(len(t.split(".", 1)[1]) >= 40 for t in tokens)
    assert session_of_token("no-dot") == "" and session_of_token(".x") == "" and session_of_token("s.") == ""


KEY = b"k" * 32


def test_a_tagged_token_is_told_from_a_forged_mistyped_or_respelt_one_by_the_key_alone():
    tokens = issue_tokens(50, session="S1", rng=CHANCE, key=KEY)
    assert all(token_is_issued(token, KEY) for token in tokens)
    token = tokens[0]
    session, _, text = token.partition(".")
    assert len(text) == len(issue_tokens(1, session="S1", rng=CHANCE)[0].partition(".")[2])  # as long as before
    assert not token_is_issued(token, b"j" * 32)  # another key
    assert not token_is_issued("S2." + text, KEY)  # the tag binds the session
    assert not token_is_issued(f"{session}.{text[:-1]}{'A' if text[-1] != 'A' else 'B'}", KEY)  # mistyped
    drawn = base64.urlsafe_b64decode(text + "=")
    respelt = base64.urlsafe_b64encode(drawn).decode()  # the same bytes, padded: another token
    assert not token_is_issued(f"{session}.{respelt}", KEY)
    assert not token_is_issued(f"{session}.{text}é", KEY) and not token_is_issued(text, KEY)
    assert not any(token_is_issued(t, KEY) for t in issue_tokens(20, session="S1", rng=CHANCE))  # untagged


def test_a_tag_is_the_same_from_one_version_to_the_next():
    # tokens handed out before an upgrade are checked by the code after it: this pins what a tag is made of
    # (the derived key's label, the session, the separator, the random bytes)
    assert issue_tokens(1, session="S1", rng=random.Random(7), key=KEY) == [
        "S1.OLTmUuRNp_I3DZ4mDicTZTpQYldUjmfZuDDg76jhIVE"
    ]


def test_a_tags_half_of_the_token_is_drawn_and_the_other_half_is_the_keys():
    class Counting(random.Random):
        drawn = []

        def randbytes(self, n):
            self.drawn.append(n)
            return super().randbytes(n)

    [token] = issue_tokens(1, session="S1", rng=Counting(1), key=KEY)
    assert Counting.drawn == [TOKEN_BYTES - TAG_BYTES] and TAG_BYTES == 16 and TOKEN_BYTES == 32


# --- receipts (trackers) and the board ------------------------------------------------------------

from services.nomination.domain import ballots as rules  # noqa: E402


def test_trackers_are_32_lowercase_hex_and_fresh():
    made = {rules.new_tracker(rng=CHANCE) for _ in range(200)}
    assert len(made) == 200
    assert all(rules.is_tracker(t) for t in made)
    assert not rules.is_tracker("A" * 32) and not rules.is_tracker("a" * 31) and not rules.is_tracker(None)
    assert {rules.tracker_shard(t) for t in made} <= set(rules.TRACKER_SHARDS)


def test_tracker_set_stays_sorted_whatever_the_order_of_casting():
    stored = []
    for tracker in ["f" * 32, "0" * 32, "7" * 32]:
        stored = rules.with_tracker(stored, tracker)
    assert stored == ["0" * 32, "7" * 32, "f" * 32]


def test_missing_trackers_are_made_good_never_removed():
    assert rules.missing_trackers(5, 3) == 2
    assert rules.missing_trackers(5, 5) == 0
    assert rules.missing_trackers(3, 5) == 0


def test_board_before_the_close_is_wrong_stage():
    with pytest.raises(Conflict) as refused:
        rules.check_board(tallied=False)
    assert refused.value.code == "wrong_stage"
    rules.check_board(tallied=True)


def test_board_sorts_and_recounts_to_the_tally():
    terms = SessionTerms("democratic", 6, 2, ("C1", "C2", "C3"))
    ballots = [("C2",), ("C1", "C3"), ("C1", "C2", "C3"), (), ("C9",), ("C1",)]
    published = rules.board(ballots, ["b" * 32, "a" * 32], terms=terms)
    assert published["trackers"] == ["a" * 32, "b" * 32]
    assert [b["choices"] for b in published["ballots"]] == sorted(list(b) for b in ballots)
    recount = tally([b["choices"] for b in published["ballots"]], candidates=terms.candidates, seats=2, electorate=6)
    assert recount == tally(ballots, candidates=terms.candidates, seats=2, electorate=6)
    assert sum(b["valid"] for b in published["ballots"]) == recount.valid
