"""Each 422, 409 and 403 a nomination rule gives, with its exact detail; the shapes the API answers with
(a tally, an import's summary, a stored ballot); and the edges of the small rules beside them."""

import random
import time
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import CadreError, Invalid
from services.nomination.domain._checks import FieldErrors
from services.nomination.domain.appointment import NoticeStatus, check_appointment, check_filing, make_appointment
from services.nomination.domain.ballots import (
    SessionOutcome,
    SessionTerms,
    check_ballot,
    check_board,
    close_session,
    deal_buckets,
    encode_choices,
    issue_tokens,
    parse_choices,
    refuse_cast,
    session_of_token,
    tally,
    token_hash,
    tracker_shard,
)
from services.nomination.domain.consultation import record_consultation
from services.nomination.domain.decision import check_cleared, check_pre_report
from services.nomination.domain.deliberation import check_deliberation
from services.nomination.domain.entities import ImportResult
from services.nomination.domain.headcount import HeadcountDelta, apply_delta, check_vacancies
from services.nomination.domain.listing import asked_before, check_cursor, listing_key
from services.nomination.domain.meetings import check_agenda_lead, check_quorum
from services.nomination.domain.nomination import (
    Relation,
    campaign_outcome,
    check_disclosure,
    check_rank,
    check_relations,
    rank_fits,
)

from services.nomination.domain.entities import Post
from services.nomination.domain.qualification import check_eligible
from services.nomination.domain.ranking import best_session, rank_nominees, vote_share
from services.nomination.domain.selection import open_selection
from services.nomination.domain.stages import advance, check_stage
from services.nomination.domain.vocabulary import validate_category, validate_code, validate_rank

from nomination_builders import NOW, make_cadre, make_qualification, make_selection, make_session, meeting


def refusal(call, *args, **kwargs):
    with pytest.raises(CadreError) as exc:
        call(*args, **kwargs)
    return type(exc.value).__name__, exc.value.detail, exc.value.code


@pytest.mark.parametrize(
    "call,expected",
    [
        (lambda: check_quorum(1, 2), ("RuleViolation", "fewer than two thirds present", "quorum_not_met")),
        (
            lambda: check_agenda_lead(NOW, NOW, 1),
            ("RuleViolation", "the agenda was not filed in time before the meeting", "ad_hoc_motion"),
        ),
        (
            lambda: check_cleared(["C1"], {"C1": "pending"}),
            ("RuleViolation", "an appointee's joint review is not cleared", "not_cleared"),
        ),
        (
            lambda: check_pre_report("key_leadership", False),
            (
                "RuleViolation",
                "a key leadership appointment needs an approved pre-appointment report",
                "pre_report_required",
            ),
        ),
        (
            lambda: check_rank("promotion", "section", "section"),
            ("RuleViolation", "the cadre's rank does not fit the post", "over_rank"),
        ),
        (lambda: check_disclosure(False), ("RuleViolation", "personal matters were not reported", "concealment")),
        (
            lambda: check_relations([Relation("x", "canvassing")], "Li"),
            ("RuleViolation", "a relation amounts to non-organizational activity", "non_organizational_activity"),
        ),
        (
            lambda: check_vacancies(2, headcount=3, occupied=1, reserved=1),
            ("RuleViolation", "more vacancies than the post has free", "over_headcount"),
        ),
        (
            lambda: check_appointment("appointment", NoticeStatus(NOW, upheld_objections=1), NOW),
            ("RuleViolation", "an objection to the appointment was upheld", "objection_upheld"),
        ),
        (
            lambda: check_appointment("appointment", NoticeStatus(NOW, pending_objections=1), NOW),
            ("RuleViolation", "an objection to the appointment is unresolved", "objection_pending"),
        ),
        (
            lambda: check_appointment("appointment", NoticeStatus(NOW + timedelta(seconds=1)), NOW),
            ("Conflict", "the public notice has not closed", "too_early"),
        ),
        (
            lambda: check_ballot(token_known=False, token_used=False, session_closed=False),
            ("Forbidden", "the ballot token is not valid", "invalid_token"),
        ),
        (
            lambda: check_ballot(token_known=True, token_used=True, session_closed=False),
            ("Conflict", "the ballot token has been used", "token_used"),
        ),
        (
            lambda: check_ballot(token_known=True, token_used=False, session_closed=True),
            ("Conflict", "the ballot session is closed", "session_closed"),
        ),
        (
            lambda: refuse_cast(in_unused=True, bucket_closed=True, marked_used=False),
            ("Conflict", "the ballot session is closed", "session_closed"),
        ),
        (
            lambda: refuse_cast(in_unused=False, bucket_closed=False, marked_used=True),
            ("Conflict", "the ballot token has been used", "token_used"),
        ),
        (
            lambda: refuse_cast(in_unused=False, bucket_closed=False, marked_used=False),
            ("Forbidden", "the ballot token is not valid", "invalid_token"),
        ),
        (
            lambda: check_board(tallied=False),
            ("Conflict", "the ballot session is not closed yet; its board is published at the close", "wrong_stage"),
        ),
        (
            lambda: close_session(
                "recommendation", [], terms=SessionTerms("democratic", 3, 1, ("C1",)), already_closed=True
            ),
            ("Conflict", "the ballot session is closed", "session_closed"),
        ),
        (
            lambda: check_deliberation(
                make_selection(stage="recommendation"), meeting=meeting(), nominees=["C1"], nominated=["C1", "C2"]
            ),
            ("RuleViolation", "fewer nominees than the slate ratio requires", "slate_ratio"),
        ),
    ],
)
def test_each_refusal_gives_its_detail_and_code(call, expected):
    assert refusal(call) == expected


def test_an_appointment_at_the_close_of_the_notice_keeps_its_appointees():
    appointment = make_appointment("appointment", NoticeStatus(NOW), NOW, appointees=["C1", "C2"], vacancies=2)
    assert appointment.appointees == ("C1", "C2") and appointment.delta == HeadcountDelta(occupied=2, reserved=-2)


def test_each_bad_field_of_a_filing_has_its_message_and_the_longest_is_taken_trimmed():
    with pytest.raises(Invalid) as exc:
        check_filing("filing", filed_with=" ", reference="r" * 501)
    assert exc.value.errors == {"filed_with": ["must be non-empty text"], "reference": ["must be non-empty text"]}
    filing = check_filing("filing", filed_with=" 市委组织部 ", reference="r" * 500)
    assert (filing.filed_with, filing.reference) == ("市委组织部", "r" * 500)


def test_each_bad_field_of_a_consultation_has_its_message_and_the_longest_is_taken_trimmed():
    with pytest.raises(Invalid) as exc:
        record_consultation("consultation", (), source="rumour", opinion="o" * 10_001)
    assert exc.value.errors == {
        "source": ["must be one of leader_in_charge, grassroots"],
        "opinion": ["must be non-empty text of at most 10000 characters"],
    }
    heard = record_consultation("consultation", (), source="grassroots", opinion=" " + "o" * 9_999)
    assert (heard.source, heard.opinion) == ("grassroots", "o" * 9_999)


def test_a_deliberation_names_each_bad_field_of_its_meeting_and_nominees():
    with pytest.raises(Invalid) as exc:
        check_deliberation(make_selection(stage="recommendation"), meeting={"x": 1}, nominees=[], nominated=[])
    assert exc.value.errors == {
        "meeting.x": ["unknown field"],
        "meeting.held_at": ["must be a date-time"],
        "meeting.place": ["must be non-empty text"],
        "meeting.attendees": ["must be a whole number of at least 1"],
        "meeting.present": ["must be a whole number of at least 0"],
        "nominees": ["must list 1 to 500 cadre codes"],
    }
    with pytest.raises(Invalid) as exc:
        check_deliberation(make_selection(stage="recommendation"), meeting=meeting(), nominees=["C 1"], nominated=[])
    assert exc.value.errors == {"nominees": ["every item must be a cadre code"]}


def test_a_tally_answers_every_count_and_each_candidate_s_votes():
    result = tally([["C1"], ["C1", "C2"], ["C3"], []], candidates=["C1", "C2"], seats=1, electorate=6)
    assert result.as_dict() == {
        "cast": 4,
        "valid": 2,
        "invalid": 2,
        "turnout": 4 / 6,
        "quorum_met": True,
        "results": [{"cadre": "C1", "votes": 1}, {"cadre": "C2", "votes": 0}],
    }
    assert tally([], candidates=["C1"], seats=1, electorate=0).turnout == 0.0
    outcome = SessionOutcome.from_tally("S1", "sel1", "democratic", result)
    assert (outcome.id, outcome.selection, outcome.kind, outcome.closed, outcome.valid) == (
        "S1",
        "sel1",
        "democratic",
        True,
        2,
    )


def test_a_ballot_with_every_candidate_chosen_is_valid():
    assert tally([["C1", "C2"]], candidates=["C1", "C2"], seats=2, electorate=1).valid == 1


def test_an_import_summary_counts_the_good_and_lists_the_rejected():
    assert ImportResult(good=[1, 2], rejected=[{"row": 3}]).summary() == {"imported": 2, "rejected": [{"row": 3}]}


def test_stored_choices_are_compact_sorted_json_in_their_own_script():
    assert encode_choices(["张三", "C2", "C1"]) == '["C1","C2","张三"]'


def test_choices_are_a_list_of_at_most_500_texts():
    assert len(parse_choices(["C"] * 500)) == 500
    with pytest.raises(Invalid) as exc:
        parse_choices(["C"] * 501)
    assert exc.value.errors == {"choices": ["must be a list of at most 500 cadre codes"]}


def test_buckets_of_one_are_allowed_and_of_none_refused():
    assert sorted(deal_buckets(["a", "b"], 1, rng=random.Random(1))) == [["a"], ["b"]]
    with pytest.raises(ValueError, match="^a bucket holds at least one token$"):
        deal_buckets(["a"], 0, rng=random.Random(1))


def test_a_token_key_of_exactly_16_bytes_is_enough_and_shorter_is_refused():
    assert len(token_hash("t", b"k" * 16)) == 64
    with pytest.raises(ValueError, match="^the token key must be at least 16 bytes$"):
        token_hash("t", b"k" * 15)


def test_a_token_names_its_session_up_to_the_first_dot():
    assert session_of_token("S1.abc.def") == "S1"
    [token] = issue_tokens(1, 2, "S1", rng=random.Random(3))
    session, _, drawn = token.partition(".")
    assert session == "S1" and "=" not in drawn and len(drawn) == 3


def test_a_tracker_s_shard_is_its_first_hex_digit():
    assert tracker_shard("a1" + "0" * 30) == "a"


def test_a_bookkeeping_delta_that_fills_the_post_exactly_balances():
    assert apply_delta(3, 0, 1, HeadcountDelta(occupied=2, reserved=0)) == (2, 1)
    assert apply_delta(3, 1, 1, HeadcountDelta(occupied=-1, reserved=0)) == (0, 1)
    with pytest.raises(ValueError, match="^headcount books would not balance$"):
        apply_delta(3, 0, 0, HeadcountDelta(occupied=-1))


def test_a_list_key_reads_a_time_without_a_zone_as_utc():
    aware = datetime(2024, 5, 6, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    assert listing_key(aware, "s") == f"{round(aware.timestamp() * 1000):015d}|s"
    assert listing_key(aware.replace(tzinfo=None), "s") == listing_key(aware.replace(tzinfo=timezone.utc), "s")


def test_a_list_cursor_whose_id_holds_a_bar_is_one_the_list_gave_out():
    key = listing_key(NOW, "a|b")
    assert check_cursor(key) == key
    assert asked_before(key) == datetime.fromtimestamp(int(NOW.timestamp()) + 2, tz=timezone.utc)
    with pytest.raises(Invalid) as exc:
        check_cursor("000000000000001|")
    assert exc.value.errors == {"cursor": ["not a cursor this list gave out"]}


def test_an_unknown_post_category_is_a_programming_error_saying_so():
    with pytest.raises(ValueError, match="^unknown post category$"):
        rank_fits("honorary", "section", "section")


def test_a_campaign_result_without_seats_or_a_ranking_gives_no_seats():
    outcome = campaign_outcome("K1", [{"post": "P1"}], "P1", "C1", "n")
    assert (outcome.code, outcome.seats, outcome.ranking) == ("K1", 0, {})
    elsewhere = campaign_outcome("K1", [{"post": "P2", "seats": 1, "ranking": []}], "P1", "C1", "n")
    assert (elsewhere.code, elsewhere.published, elsewhere.seats, elsewhere.ranking) == ("K1", True, 0, {})


def test_every_message_of_a_field_is_kept_in_order():
    errors = FieldErrors()
    assert not errors
    errors.add("a", "one")
    errors.absorb(Invalid({"a": ["two"], "b": ["three"]}))
    assert errors and errors.errors == {"a": ["one", "two"], "b": ["three"]}


# --- ranking, eligibility, opening, stages, vocabulary -----------------------------------------------------------


def test_of_two_quorate_sessions_with_as_many_valid_ballots_the_later_counts():
    first, later = make_session(id="S1", valid=30), make_session(id="S2", valid=30)
    assert best_session([first, later]).id == "S2"


def test_one_valid_ballot_is_the_whole_of_public_opinion():
    assert vote_share(make_session(valid=1, votes={"C1": 1}), "C1") == 100.0


def test_components_and_composite_are_shown_to_two_decimals_and_no_years_count_none():
    session = make_session(valid=3, votes={"C1": 1})
    result = rank_nominees(
        ["C1"], ratings={"C1": 70.125}, performance={"C1": 60}, grassroots_years={}, sessions=[session]
    )
    [item] = result["items"]
    assert item["components"] == {
        "integrity_ability": 70.12,
        "performance": 60.0,
        "public_opinion": 33.33,
        "grassroots": 0.0,
    }
    assert item["composite"] == round((70.125 + 60 + 100 / 3) / 4, 2) == 40.86


def test_each_refusal_of_eligibility_says_what_is_missing():
    cadre = make_cadre(unit="U9", rank="clerk", grassroots_years=1)
    q = make_qualification(min_rank="deputy_section", min_grassroots_years=2)
    assert refusal(check_eligible, cadre, None) == (
        "RuleViolation",
        "the selection has no qualification conditions",
        "not_eligible",
    )
    assert refusal(check_eligible, cadre, q) == (
        "RuleViolation",
        "the cadre does not meet: scope, min_rank, min_grassroots_years",
        "not_eligible",
    )


def test_each_bad_field_of_a_new_selection_has_its_message():
    post = Post("P1", "U1", "t", "section", "promotion", 3)
    motion = {"proposed_by": "Li", "reason": "r"}
    with pytest.raises(Invalid) as exc:
        open_selection(post, vacancies=0, competitive="yes", motion=motion)
    assert exc.value.errors == {
        "vacancies": ["must be a whole number of at least 1"],
        "competitive": ["must be true or false"],
    }


def test_each_stage_refusal_names_the_call_and_the_stage():
    assert refusal(check_stage, "decision", "motion") == (
        "RuleViolation",
        "decision is not yet allowed: the selection is at motion",
        "out_of_order",
    )
    assert refusal(check_stage, "qualification", "inspection") == (
        "Conflict",
        "qualification is past: the selection is at inspection",
        "wrong_stage",
    )


def test_hearing_the_second_source_moves_the_selection_on():
    change = advance("consultation", "consultation", NOW, sources_heard={"leader_in_charge", "grassroots"})
    assert (str(change.from_stage), str(change.to_stage)) == ("consultation", "recommendation")


def test_each_vocabulary_refusal_names_its_field_and_the_choices():
    for call, value, errors in [
        (validate_code, "a b", {"code": ["must be 1-64 letters, digits, '-' or '_'"]}),
        (validate_rank, "chief", {"rank": ["must be one of clerk, deputy_section, section"]}),
        (
            validate_category,
            "honorary",
            {"category": ["must be one of key_leadership, promotion, lateral_transfer, public_selection"]},
        ),
    ]:
        with pytest.raises(Invalid) as exc:
            call(value)
        assert exc.value.errors == errors


def test_a_list_key_reads_a_time_without_a_zone_as_utc_whatever_the_machine_s_zone(monkeypatch):
    # a naive time read as local time would shift by the machine's offset: pin a zone that is not UTC
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        naive = datetime(2024, 5, 6, 9, 0)
        assert listing_key(naive, "s") == listing_key(naive.replace(tzinfo=timezone.utc), "s")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_token_keeps_every_character_of_its_random_part():
    class Fixed:
        def randbytes(self, n):
            return b"\x00\x00\x17"  # base64url "AAAX": nothing but padding may be stripped

    assert issue_tokens(1, 3, rng=Fixed()) == ["AAAX"]
