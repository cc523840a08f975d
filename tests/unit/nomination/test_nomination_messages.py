"""Each nomination rule's refusal, exactly: the field it names and the message, or the detail a 422 gives,
for every branch; and the edges of each limit (one item, the most items, a rating of 0 or 100)."""

from datetime import timedelta

import pytest

from services.common.errors import Invalid, RuleViolation
from services.nomination.domain.ballots import open_session
from services.nomination.domain.decision import check_decision
from services.nomination.domain.deliberation import parse_cadre_list
from services.nomination.domain.entities import (
    CADRE_FIELDS,
    import_cadres,
    import_csv,
    validate_cadre,
    validate_post,
    validate_unit,
)
from services.nomination.domain.inspection import check_inspection
from services.nomination.domain.meetings import parse_meeting
from services.nomination.domain.nomination import (
    Basis,
    CampaignOutcome,
    check_basis,
    parse_basis,
    parse_disclosure,
    parse_relations,
)
from services.nomination.domain.qualification import parse_qualification
from services.nomination.domain.ranking import validate_weights
from services.nomination.domain.selection import parse_motion

from nomination_builders import NOW, committee_meeting, make_selection, make_session


def errors_of(call, *args, **kwargs):
    with pytest.raises(Invalid) as exc:
        call(*args, **kwargs)
    return exc.value.errors


def detail_of(call, *args, **kwargs):
    with pytest.raises(RuleViolation) as exc:
        call(*args, **kwargs)
    return exc.value.detail, exc.value.code


# --- inspection --------------------------------------------------------------------------------------------------


def inspect(reports, nominees=("C1",)):
    return check_inspection("inspection", reports=reports, nominees=nominees)


def test_an_inspection_with_no_reports_says_so():
    assert errors_of(inspect, []) == {"reports": ["must list at least one report"]}
    assert errors_of(inspect, "C1") == {"reports": ["must list at least one report"]}


def test_each_bad_field_of_a_report_has_its_message_and_every_report_is_read():
    reports = [
        "x",
        {"cadre": "C 1", "summary": " ", "rating": 101, "note": 1},
        {"cadre": "C1", "summary": "s" * 10_001, "rating": -1},
    ]
    assert errors_of(inspect, reports) == {
        "reports.0": ["must be an object with cadre, summary and rating"],
        "reports.1.cadre": ["must be a cadre code"],
        "reports.1.summary": ["must be non-empty text"],
        "reports.1.rating": ["must be a number from 0 to 100"],
        "reports.1.note": ["unknown field"],
        "reports.2.summary": ["must be non-empty text"],
        "reports.2.rating": ["must be a number from 0 to 100"],
    }


def test_ratings_of_0_and_100_and_a_summary_of_the_most_characters_are_taken_trimmed():
    inspection = inspect(
        [{"cadre": "C1", "summary": " s ", "rating": 0}, {"cadre": "C2", "summary": "s" * 10_000, "rating": 100}],
        nominees=("C1", "C2"),
    )
    assert [(r.cadre, r.summary[:2], r.rating) for r in inspection.reports] == [("C1", "s", 0), ("C2", "ss", 100)]


def test_reports_must_be_one_for_each_initial_nominee():
    reports = [
        {"cadre": "C9", "summary": "s", "rating": 50},
        {"cadre": "C1", "summary": "s", "rating": 50},
        {"cadre": "C1", "summary": "s", "rating": 60},
    ]
    assert errors_of(inspect, reports, nominees=("C1", "C2", "C3")) == {
        "reports.0.cadre": ["is not an initial nominee of this selection"],
        "reports.2.cadre": ["has a report already"],
        "reports": ["2 initial nominee(s) have no report"],
    }


# --- the nomination's basis, disclosure and relations ------------------------------------------------------------


@pytest.mark.parametrize(
    "selection,basis,evidence,detail",
    [
        (make_selection(), None, {}, "a nomination needs a basis"),
        (
            make_selection(category="public_selection"),
            Basis("ballot_session", "S1"),
            {},
            "this mode does not nominate from a ballot session",
        ),
        (make_selection(), Basis("ballot_session", "S1"), {}, "no ballot session of this selection by that reference"),
        (
            make_selection(),
            Basis("ballot_session", "S1"),
            {"session": make_session(id="S2")},
            "no ballot session of this selection by that reference",
        ),
        (
            make_selection(),
            Basis("ballot_session", "S1"),
            {"session": make_session(selection="other")},
            "no ballot session of this selection by that reference",
        ),
        (
            make_selection(),
            Basis("ballot_session", "S1"),
            {"session": make_session(kind="plenary")},
            "the ballot session is not of the kind this mode needs",
        ),
        (
            make_selection(),
            Basis("ballot_session", "S1"),
            {"session": make_session(closed=False)},
            "the ballot session is not closed",
        ),
        (
            make_selection(),
            Basis("ballot_session", "S1"),
            {"session": make_session(quorum_met=False)},
            "the ballot session did not reach quorum and is void",
        ),
        (
            make_selection(),
            Basis("ballot_session", "S1"),
            {"session": make_session(votes={"C1": 0})},
            "the cadre received no votes in the ballot session",
        ),
        (make_selection(), Basis("resolution", "R1"), {}, "this mode does not nominate by resolution"),
        (
            make_selection(category="lateral_transfer"),
            Basis("resolution", ""),
            {},
            "the resolution reference is empty",
        ),
        (make_selection(), Basis("campaign", "K1"), {}, "this mode does not nominate from a campaign"),
        (make_selection(category="public_selection"), Basis("campaign", "K1"), {}, "no campaign by that reference"),
        (
            make_selection(category="public_selection"),
            Basis("campaign", "K1"),
            {"campaign": CampaignOutcome("K2", True, 1, {"C1": 1})},
            "no campaign by that reference",
        ),
        (
            make_selection(category="public_selection"),
            Basis("campaign", "K1"),
            {"campaign": CampaignOutcome("K1", False, 1, {"C1": 1})},
            "the campaign's results are not published",
        ),
        (
            make_selection(category="public_selection"),
            Basis("campaign", "K1"),
            {"campaign": CampaignOutcome("K1", True, 1, {"C1": 2})},
            "the candidate did not rank within the seats",
        ),
        (
            make_selection(category="public_selection"),
            Basis("campaign", "K1"),
            {"campaign": CampaignOutcome("K1", True, 1, {})},
            "the candidate did not rank within the seats",
        ),
    ],
)
def test_each_basis_that_does_not_hold_says_why(selection, basis, evidence, detail):
    assert detail_of(check_basis, selection, "C1", basis, **evidence) == (detail, "no_basis")


def test_a_basis_that_holds_passes():
    check_basis(make_selection(), "C1", Basis("ballot_session", "S1"), session=make_session())
    check_basis(make_selection(category="lateral_transfer"), "C1", Basis("resolution", "R1"))
    check_basis(
        make_selection(category="public_selection"),
        "C1",
        Basis("campaign", "K1"),
        campaign=CampaignOutcome("K1", True, 2, {"C1": 2}),
    )


def test_each_malformed_basis_says_what_a_basis_is():
    shape = {"basis": ["must be one of {ballot_session}, {resolution}, {campaign}"]}
    assert errors_of(parse_basis, "S1") == shape
    assert errors_of(parse_basis, {"ballot_session": "S1", "resolution": "R"}) == shape
    assert errors_of(parse_basis, {"vote": "S1"}) == shape
    assert errors_of(parse_basis, {"resolution": 5}) == {"basis.resolution": ["must be text"]}
    assert errors_of(parse_basis, {"resolution": "r" * 2001}) == {"basis.resolution": ["must be text"]}
    assert parse_basis({"resolution": " " + "r" * 1999}) == Basis("resolution", "r" * 1999)
    assert parse_basis({}) is None


def test_each_malformed_disclosure_has_its_message():
    assert errors_of(parse_disclosure, "yes") == {"disclosure": ["must be an object with personal_matters_reported"]}
    assert errors_of(parse_disclosure, {"personal_matters_reported": "yes", "note": 1}) == {
        "disclosure.note": ["unknown field"],
        "disclosure.personal_matters_reported": ["must be true or false"],
    }
    assert parse_disclosure({}) is False and parse_disclosure({"personal_matters_reported": True}) is True


def test_each_malformed_relation_has_its_message_and_the_most_relations_are_taken():
    assert errors_of(parse_relations, "kin") == {"relations": ["must be a list of at most 100 relations"]}
    assert errors_of(parse_relations, [{"person": "p", "kind": "kin"}] * 101) == {
        "relations": ["must be a list of at most 100 relations"]
    }
    assert len(parse_relations([{"person": "p", "kind": "kin"}] * 100)) == 100
    assert errors_of(
        parse_relations, ["x", {"person": " ", "kind": "friend", "note": 1}, {"person": "p" * 2001, "kind": "kin"}]
    ) == {
        "relations.0": ["must be an object with person and kind"],
        "relations.1.person": ["must be non-empty text"],
        "relations.1.kind": ["must be one of kin, canvassing"],
        "relations.1.note": ["unknown field"],
        "relations.2.person": ["must be non-empty text"],
    }
    [relation] = parse_relations([{"person": " 李四 ", "kind": "canvassing"}])
    assert (relation.person, relation.kind) == ("李四", "canvassing")


# --- units, posts, cadres and their imports ----------------------------------------------------------------------


def test_each_bad_field_of_a_unit_post_or_cadre_has_its_message():
    code = "must be 1-64 letters, digits, '-' or '_'"
    text = "must be non-empty text of at most 200 characters"
    assert errors_of(validate_unit, {"code": "a b", "name": "n" * 201, "x": 1}) == {
        "x": ["unknown field"],
        "code": [code],
        "name": [text],
    }
    assert errors_of(
        validate_post, {"code": "", "unit": None, "title": " ", "rank": "chief", "category": "x", "headcount": 1001}
    ) == {
        "code": [code],
        "unit": [code],
        "title": [text],
        "rank": ["must be one of clerk, deputy_section, section"],
        "category": ["must be one of key_leadership, promotion, lateral_transfer, public_selection"],
        "headcount": ["must be a whole number from 1 to 1000"],
    }
    assert errors_of(
        validate_cadre, {"code": "C1", "name": "", "unit": "U 1", "rank": None, "grassroots_years": 60.5}
    ) == {
        "name": [text],
        "unit": [code],
        "rank": ["must be one of clerk, deputy_section, section"],
        "grassroots_years": ["must be a number from 0 to 60"],
    }


def test_values_at_each_edge_are_taken_trimmed():
    unit = validate_unit({"code": "U" * 64, "name": " " + "n" * 199})
    assert (unit.code, unit.name) == ("U" * 64, "n" * 199)
    post = validate_post(
        {"code": "P", "unit": "U", "title": " t ", "rank": "clerk", "category": "promotion", "headcount": 1000}
    )
    assert (post.code, post.unit, post.title, post.rank, post.category, post.headcount) == (
        "P",
        "U",
        "t",
        "clerk",
        "promotion",
        1000,
    )
    cadre = validate_cadre({"code": "C", "name": " n ", "unit": "U", "rank": "section", "grassroots_years": 0})
    assert (cadre.code, cadre.name, cadre.unit, cadre.rank, cadre.grassroots_years) == ("C", "n", "U", "section", 0)
    assert (
        validate_cadre(
            {"code": "C", "name": "n", "unit": "U", "rank": "section", "grassroots_years": 60}
        ).grassroots_years
        == 60
    )


def test_an_import_reports_each_bad_row_by_its_number_and_reads_the_rest():
    header = ",".join(CADRE_FIELDS) + "\n"
    body = header + "\n".join(
        [
            'C1,"' + "n" * (128 * 1024 + 1) + '",U1,clerk,1',  # row 1: not readable
            "",  # a blank line is no row
            "C2,n,U1,clerk,1,extra",  # row 2
            "C3,n,U1,clerk,١",  # row 3: not an ASCII number
            "C4,n,U1,clerk,2.5",  # row 4
            "C4,m,U1,clerk,3",  # row 5: C4 again
            "C5,n,U1,clerk",  # row 6: the missing cell is no value
            "C6, n ,U1,clerk,7",  # row 7
        ]
    )
    result = import_cadres(body)
    assert [(c.code, c.name, c.grassroots_years) for c in result.good] == [("C4", "n", 2.5), ("C6", "n", 7)]
    assert result.rows == [4, 7]
    assert result.rejected == [
        {"row": 1, "errors": {"row": ["a field is over 131072 characters"]}},
        {"row": 2, "errors": {"row": ["more cells than the header"]}},
        {"row": 3, "errors": {"grassroots_years": ["must be a number from 0 to 60"]}},
        {"row": 5, "errors": {"code": ["appears earlier in this file"]}},
        {"row": 6, "errors": {"grassroots_years": ["must be a number from 0 to 60"]}},
    ]
    assert result.summary() == {"imported": 2, "rejected": result.rejected}


def test_an_import_without_the_right_header_or_with_too_many_rows_is_refused_whole():
    assert errors_of(import_cadres, ",,\n") == {"body": ["a CSV header row is required"]}
    assert errors_of(import_cadres, "code,name\n") == {
        "body": ["the header must name exactly: code, name, unit, rank, grassroots_years"]
    }
    assert errors_of(import_cadres, ",".join(CADRE_FIELDS + ("code",)) + "\n") == {
        "body": ["the header must name exactly: code, name, unit, rank, grassroots_years"]
    }
    ok = import_csv("code,name\n" + "".join(f"U{i},n\n" for i in range(10_000)), validate_unit, ("code", "name"))
    assert len(ok.good) == 10_000
    assert errors_of(
        import_csv, "code,name\n" + "".join(f"U{i},n\n" for i in range(10_001)), validate_unit, ("code", "name")
    ) == {"body": ["at most 10000 rows per import"]}


# --- meetings, motions, qualifications, weights, sessions, lists -------------------------------------------------


def test_each_bad_field_of_a_meeting_has_its_message():
    assert errors_of(parse_meeting, "m", total_field="members", with_agenda=True) == {"meeting": ["must be an object"]}
    bad = {"held_at": "soon", "agenda_filed_at": 5, "place": " ", "members": 0, "present": -1, "x": 1}
    assert errors_of(parse_meeting, bad, total_field="members", with_agenda=True) == {
        "meeting.x": ["unknown field"],
        "meeting.held_at": ["must be a date-time"],
        "meeting.agenda_filed_at": ["must be a date-time"],
        "meeting.place": ["must be non-empty text"],
        "meeting.members": ["must be a whole number of at least 1"],
        "meeting.present": ["must be a whole number of at least 0"],
    }
    too_many = {"held_at": NOW, "place": "p" * 501, "attendees": 3, "present": 4, "agenda_filed_at": NOW}
    assert errors_of(parse_meeting, too_many, total_field="attendees", with_agenda=False) == {
        "meeting.agenda_filed_at": ["unknown field"],
        "meeting.place": ["must be non-empty text"],
        "meeting.present": ["must not exceed attendees"],
    }


def test_a_meeting_at_each_edge_is_taken_trimmed():
    meeting = parse_meeting(
        {"held_at": NOW, "place": " " + "p" * 499, "attendees": 1, "present": 0},
        total_field="attendees",
        with_agenda=False,
    )
    assert (meeting.held_at, meeting.place, meeting.total, meeting.present, meeting.agenda_filed_at) == (
        NOW,
        "p" * 499,
        1,
        0,
        None,
    )
    full = parse_meeting(committee_meeting(members=3, present=3), total_field="members", with_agenda=True)
    assert (full.present, full.agenda_filed_at) == (3, NOW - timedelta(days=3))


def test_each_bad_field_of_a_motion_has_its_message():
    assert errors_of(parse_motion, "m") == {"motion": ["must be an object with proposed_by and reason"]}
    assert errors_of(parse_motion, {"proposed_by": " ", "reason": "r" * 2001, "x": 1}) == {
        "motion.proposed_by": ["must be non-empty text"],
        "motion.reason": ["must be non-empty text"],
        "motion.x": ["unknown field"],
    }
    motion = parse_motion({"proposed_by": " Li ", "reason": " " + "r" * 1999})
    assert (motion.proposed_by, motion.reason) == ("Li", "r" * 1999)


def test_each_bad_field_of_a_qualification_has_its_message():
    assert errors_of(parse_qualification, "x", "U1") == {
        "conditions": ["must be an object with min_rank and/or min_grassroots_years"],
        "scope": ["must list 1 to 1000 unit codes"],
    }
    assert errors_of(parse_qualification, {"min_rank": "chief", "min_grassroots_years": -1, "x": 1}, ["U 1"]) == {
        "conditions.x": ["unknown field"],
        "conditions.min_rank": ["must be one of clerk, deputy_section, section"],
        "conditions.min_grassroots_years": ["must be a number of at least 0"],
        "scope": ["every item must be a unit code"],
    }
    assert errors_of(parse_qualification, {}, ["U1", "U1"]) == {"scope": ["must not repeat a unit"]}
    assert errors_of(parse_qualification, {}, [f"U{i}" for i in range(1001)]) == {
        "scope": ["must list 1 to 1000 unit codes"]
    }
    q = parse_qualification({"min_rank": "clerk", "min_grassroots_years": 0}, [f"U{i}" for i in range(1000)])
    assert (q.min_rank, q.min_grassroots_years, len(q.scope)) == ("clerk", 0, 1000)


def test_each_bad_weight_has_its_message():
    assert errors_of(validate_weights, [0.25]) == {
        "weights": ["must be an object with integrity_ability, performance, public_opinion, grassroots"]
    }
    assert errors_of(
        validate_weights, {"integrity_ability": -0.1, "performance": "x", "public_opinion": 0.5, "luck": 1}
    ) == {
        "weights.luck": ["unknown component"],
        "weights.integrity_ability": ["must be a number of at least 0"],
        "weights.performance": ["must be a number of at least 0"],
        "weights.grassroots": ["must be a number of at least 0"],
    }
    assert errors_of(
        validate_weights, {"integrity_ability": 0.5, "performance": 0.5, "public_opinion": 0.5, "grassroots": 0}
    ) == {"weights": ["must sum to 1"]}
    assert validate_weights({"integrity_ability": 1, "performance": 0, "public_opinion": 0, "grassroots": 0}) == {
        "integrity_ability": 1.0,
        "performance": 0.0,
        "public_opinion": 0.0,
        "grassroots": 0.0,
    }


def test_each_bad_field_of_a_ballot_session_has_its_message():
    assert errors_of(open_session, "recommendation", kind="x", electorate=50_001, seats=0, candidates=[]) == {
        "kind": ["must be one of plenary, democratic"],
        "electorate": ["must be a whole number from 1 to 50000"],
        "seats": ["must be a whole number of at least 1"],
        "candidates": ["must list 1 to 500 cadre codes"],
    }
    assert errors_of(open_session, "recommendation", kind="plenary", electorate=0, seats=True, candidates=["C 1"]) == {
        "electorate": ["must be a whole number from 1 to 50000"],
        "seats": ["must be a whole number of at least 1"],
        "candidates": ["every item must be a cadre code"],
    }
    assert errors_of(
        open_session, "recommendation", kind="plenary", electorate=1, seats=1, candidates=["C1", "C1"]
    ) == {"candidates": ["must not repeat a cadre"]}
    many = [f"C{i}" for i in range(500)]
    terms = open_session("recommendation", kind="democratic", electorate=50_000, seats=1, candidates=many)
    assert (terms.kind, terms.electorate, terms.seats, len(terms.candidates)) == ("democratic", 50_000, 1, 500)
    assert errors_of(
        open_session, "recommendation", kind="plenary", electorate=1, seats=1, candidates=many + ["C500"]
    ) == {"candidates": ["must list 1 to 500 cadre codes"]}


def test_each_bad_list_of_cadres_has_its_message():
    assert errors_of(parse_cadre_list, [], "nominees") == {"nominees": ["must list 1 to 500 cadre codes"]}
    assert errors_of(parse_cadre_list, ["C 1"], "nominees") == {"nominees": ["every item must be a cadre code"]}
    assert errors_of(parse_cadre_list, ["C1", "C1"], "nominees") == {"nominees": ["must not repeat a cadre"]}
    assert len(parse_cadre_list([f"C{i}" for i in range(500)], "nominees")) == 500


# --- the decision ------------------------------------------------------------------------------------------------


def decide(**change):
    values = dict(
        meeting=committee_meeting(),
        appointees=["C1"],
        nominees=["C1", "C2"],
        reviews={"C1": "cleared", "C2": "cleared"},
        pre_report_approved=True,
    )
    values.update(change)
    return check_decision(make_selection(stage="joint_review", category="key_leadership"), **values)


def test_each_refusal_of_a_decision_says_why():
    assert errors_of(decide, appointees=["C9", "C1"]) == {
        "appointees": ["item 0 is not an initial nominee of this selection"]
    }
    assert detail_of(decide, reviews={"C1": "pending"}) == ("an appointee's joint review is not cleared", "not_cleared")
    assert detail_of(decide, voided=["C1"]) == ("an appointee's joint review is not cleared", "not_cleared")
    late = committee_meeting(agenda_filed_at=NOW - timedelta(days=3) + timedelta(seconds=1))
    assert detail_of(decide, meeting=late) == ("the agenda was not filed in time before the meeting", "ad_hoc_motion")
    assert detail_of(decide, meeting=committee_meeting(members=12, present=7)) == (
        "fewer than two thirds present",
        "quorum_not_met",
    )
    assert detail_of(decide, pre_report_approved=False) == (
        "a key leadership appointment needs an approved pre-appointment report",
        "pre_report_required",
    )
    assert detail_of(decide, appointees=["C1", "C2"]) == ("the appointees must equal the vacancies", "slate_ratio")
    with pytest.raises(ValueError, match="^agenda_lead_seconds must be a non-negative number$"):
        decide(agenda_lead_seconds=-1)


def test_a_decision_at_each_edge_goes_through():
    decision = decide(meeting=committee_meeting(members=12, present=8), agenda_lead_seconds=0)
    assert decision.appointees == ("C1",) and decision.meeting.present == 8
    assert decide().meeting.agenda_filed_at == NOW - timedelta(days=3)


def test_a_decision_names_its_appointees_field_when_the_list_is_malformed():
    assert errors_of(decide, appointees=[]) == {"appointees": ["must list 1 to 500 cadre codes"]}


def test_a_cadre_code_must_be_a_code_and_unknown_fields_are_named():
    assert errors_of(
        validate_cadre, {"code": "a b", "name": "n", "unit": "U1", "rank": "clerk", "grassroots_years": 1, "x": 1}
    ) == {
        "x": ["unknown field"],
        "code": ["must be 1-64 letters, digits, '-' or '_'"],
    }


def test_an_import_trims_every_cell():
    result = import_cadres(",".join(CADRE_FIELDS) + "\n C7 , n , U1 , clerk , 3 \n")
    [cadre] = result.good
    assert (cadre.code, cadre.name, cadre.unit, cadre.rank, cadre.grassroots_years) == ("C7", "n", "U1", "clerk", 3)


def test_one_vote_in_the_ballot_session_is_a_basis():
    check_basis(make_selection(), "C1", Basis("ballot_session", "S1"), session=make_session(votes={"C1": 1}))


def test_a_relation_of_a_person_named_in_2000_characters_is_taken():
    [relation] = parse_relations([{"person": "p" * 2000, "kind": "kin"}])
    assert relation.person == "p" * 2000
