"""The examination rules' exact outcomes: each refusal's text and field, each boundary of campaigns,
applications, vendors and the draw, rows of an import after a bad one, and the published order."""

import hashlib
import hmac
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.common.errors import Conflict, Forbidden, Invalid, RuleViolation
from services.examination.domain.applications import (
    decide_eligibility,
    id_number_digest,
    id_number_problem,
    parse_applications_csv,
    parse_eligibility_csv,
    validate_application,
)
from services.examination.domain.campaigns import check_campaign, check_sheet_accepted, check_unseal
from services.examination.domain.codes import assign_blind_codes, exam_number
from services.examination.domain.draw import draw_interview
from services.examination.domain.results import Candidate, collect_scores, notice, rank_results, shortlist
from services.examination.domain.vendors import check_assignment, check_stage_access, register_vendor, stage_role
from services.examination.sealing import keygen
from services.examination.sealing.sheets import OpenedSheet

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
WEIGHTS = {"written": 0.4, "interview": 0.6}
POSTS = {"P1", "P2"}
HEADER = "post,id_number,name,birth_date,education\n"
WEIGHTS_CHECK = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17):
    """A resident ID number with its GB 11643 check character, written out here from the standard."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS_CHECK))
    return first17 + "10X98765432"[total % 11]


ID_2000 = id_number("11010520000229001")  # born 29 February 2000, a leap day
ID_1949 = "11010519491231002X"


def applicant(**change):
    return {"id_number": ID_1949, "name": "张三", "birth_date": "1949-12-31", "education": "本科", **change}


def refused(call, *args, **kwargs):
    with pytest.raises(Invalid) as exc:
        call(*args, **kwargs)
    return exc.value.errors


# --- campaigns ---------------------------------------------------------------------------------------------------


def campaign(**change):
    settings = {
        "posts": [{"code": "P1", "seats": 1}],
        "weights": {"written": 0.5, "interview": 0.5},
        "interview_ratio": 1.5,
        "threshold": 2,
        "officers": ["wang", "li", "zhang"],
        **change,
    }
    return check_campaign(**settings)


@pytest.mark.parametrize(
    "change",
    [
        {"weights": {"written": 0, "interview": 1}},
        {"weights": {"written": 1, "interview": 0}},
        {"interview_ratio": 1},
        {"threshold": 1},
        {"threshold": 3},
        {"officers": [f"o{i}" for i in range(255)], "threshold": 255},
    ],
)
def test_a_campaign_at_each_edge_of_its_settings_is_accepted(change):
    campaign(**change)


@pytest.mark.parametrize(
    "change,errors",
    [
        ({"posts": []}, {"posts": ["must list at least one post"]}),
        ({"posts": [{"code": "P1", "seats": 1}] * 2}, {"posts": ["post codes must be distinct"]}),
        ({"posts": [{"code": "P1", "seats": "1"}]}, {"posts": ["every post needs at least one seat"]}),
        ({"posts": [{"code": "P1", "seats": 0}]}, {"posts": ["every post needs at least one seat"]}),
        (
            {"weights": {"written": 0.7, "interview": 0.7}},
            {"weights": ["written and interview must be non-negative and add up to 1"]},
        ),
        (
            {"weights": {"written": "0.5", "interview": "0.5"}},
            {"weights": ["must give numeric written and interview weights"]},
        ),
        ({"interview_ratio": Decimal("0.99")}, {"interview_ratio": ["must be at least 1"]}),
        ({"interview_ratio": "2"}, {"interview_ratio": ["must be a number"]}),
        ({"officers": [f"o{i}" for i in range(256)]}, {"unseal.officers": ["must be 1 to 255 distinct names"]}),
        ({"threshold": "2"}, {"unseal.threshold": ["must be between 1 and the number of officers"]}),
        ({"threshold": 4}, {"unseal.threshold": ["must be between 1 and the number of officers"]}),
    ],
)
def test_each_bad_campaign_setting_has_its_message(change, errors):
    assert refused(campaign, **change) == errors


def test_each_refusal_of_an_unseal_or_a_sheet_says_why():
    with pytest.raises(Invalid) as exc:
        check_unseal("oral", T0, T0, set())
    assert exc.value.errors == {"stage": ["must be one of written, interview"]}
    for args, detail, code in [
        (("written", T0, T0 + timedelta(seconds=1), set()), "the unseal time has not come", "too_early"),
        (("written", T0, T0, {"written"}), "this stage is already unsealed", "already_unsealed"),
        (("interview", T0, T0, set()), "the written stage must be unsealed first", "wrong_stage"),
    ]:
        with pytest.raises(Conflict) as exc:
            check_unseal(*args)
        assert (exc.value.detail, exc.value.code) == (detail, code)
    with pytest.raises(Conflict) as exc:
        check_sheet_accepted("written", {"written"}, set(), "c")
    assert exc.value.detail == "this stage is already unsealed"
    with pytest.raises(Conflict) as exc:
        check_sheet_accepted("written", set(), {"c"}, "c")
    assert exc.value.detail == "this sheet was already submitted"


# --- vendors -----------------------------------------------------------------------------------------------------


def test_a_registered_vendor_keeps_what_it_registered():
    key = keygen().verify_key
    vendor = register_vendor("V1", "外省考试院", ["grading"], key, ["X-1"], {"U1"})
    assert (vendor.code, vendor.name, vendor.roles, vendor.signing_key, vendor.affiliations) == (
        "V1",
        "外省考试院",
        ("grading",),
        key,
        ("X-1",),
    )


def test_each_bad_field_of_a_vendor_has_its_message():
    assert refused(register_vendor, "V1", "n", [], "", "U1", set()) == {
        "roles": ["must name at least one role"],
        "affiliations": ["must be a list of unit codes"],
        "signing_key": ["must be a non-empty base64 string"],
    }
    assert refused(register_vendor, "V1", "n", ["grading", "grading"], keygen().verify_key, [], set()) == {
        "roles": ["each must be one of question_setting, grading, interview, once"]
    }
    with pytest.raises(RuleViolation) as exc:
        register_vendor("V1", "n", ["grading"], keygen().verify_key, ["U1"], {"U1"})
    assert exc.value.detail == "the vendor is affiliated with a local unit"


def test_each_refusal_of_an_assignment_or_stage_says_why():
    assert refused(check_assignment, ["grading"], "cooking") == {
        "role": ["must be one of question_setting, grading, interview"]
    }
    assert refused(check_assignment, ["grading"], "interview") == {
        "role": ["the vendor is not registered for this role"]
    }
    assert refused(stage_role, "oral") == {"stage": ["must be one of written, interview"]}
    with pytest.raises(Forbidden) as exc:
        check_stage_access("written", ["interview"])
    assert exc.value.detail == "the vendor is not assigned to this campaign for this stage"


# --- applications ------------------------------------------------------------------------------------------------


def test_a_leap_day_birth_in_the_year_2000_is_a_valid_id_number():
    assert id_number_problem(ID_2000) is None
    taken = validate_application("P1", applicant(id_number=ID_2000, birth_date="2000-02-29"), POSTS)
    assert (taken.birth_date, taken.education) == ("2000-02-29", "本科")


def test_each_fault_of_an_id_number_has_its_message():
    assert id_number_problem("123") == "must be 18 characters: 17 digits and a check digit or X"
    assert id_number_problem(id_number("11010519490231002")) == "does not contain a valid birth date"
    assert id_number_problem("110105194912310021") == "has a wrong check digit"


def test_the_digest_is_the_keyed_hash_of_the_normalized_number():
    expected = hmac.new(b"k", ID_1949.encode(), hashlib.sha256).hexdigest()
    assert id_number_digest(b"k", " " + ID_1949.lower()) == expected


def test_each_bad_field_of_an_application_has_its_message():
    assert refused(validate_application, "P9", {"id_number": "1", "name": "x" * 101, "birth_date": 5}, POSTS) == {
        "post": ["is not a post of this campaign"],
        "applicant.id_number": ["must be 18 characters: 17 digits and a check digit or X"],
        "applicant.name": ["must be 1 to 100 characters"],
        "applicant.education": ["must be 1 to 100 characters"],
        "applicant.birth_date": ["must be a date YYYY-MM-DD"],
    }
    assert refused(validate_application, "P1", "not an object", POSTS) == {
        "applicant.id_number": ["must be 18 characters: 17 digits and a check digit or X"],
        "applicant.name": ["must be 1 to 100 characters"],
        "applicant.education": ["must be 1 to 100 characters"],
        "applicant.birth_date": ["must be a date YYYY-MM-DD"],
    }
    assert refused(validate_application, "P1", applicant(birth_date="1949-12-30"), POSTS) == {
        "applicant.birth_date": ["does not match the birth date in the ID number"]
    }
    assert refused(validate_application, "P1", applicant(), POSTS, today=date(1949, 12, 30)) == {
        "applicant.birth_date": ["is in the future"]
    }


def test_a_name_of_one_or_a_hundred_characters_and_a_birth_today_are_accepted():
    assert validate_application("P1", applicant(name="x"), POSTS).name == "x"
    assert validate_application("P1", applicant(name="x" * 100), POSTS, today=date(1949, 12, 31)).name == "x" * 100


def test_every_kind_of_bad_row_leaves_the_rows_after_it_read():
    good = f"P1,{ID_1949},张三,1949-12-31,本科"
    body = (
        HEADER
        + "\n".join(
            [
                'P1,"' + "x" * (128 * 1024 + 1) + '",n,1949-12-31,e',  # row 2: not readable
                " , , , , ",  # row 3: blank cells only, skipped
                f"P1,{ID_2000},李四,2000-02-29,本科",  # row 4: already applied
                good,  # row 5
                f"P2,{ID_1949},张三,1949-12-31,本科",  # row 6: repeats row 5
                "P1,only,three",  # row 7
                f"P2,{ID_2000[:-1]}0,王五,2000-02-29,本科",  # row 8: check digit
                f"P1,{id_number('11010519800101001')},赵六,1980-01-01,本科",  # row 9
            ]
        )
    )
    result = parse_applications_csv(body, POSTS, {ID_2000}, today=date(2026, 1, 1))
    assert [row for row, _ in result.applicants] == [5, 9]
    assert result.rejected == [
        {"row": 2, "errors": {"csv": ["a field is over 131072 characters"]}},
        {"row": 4, "errors": {"id_number": ["has already applied in this campaign"]}},
        {"row": 6, "errors": {"id_number": ["repeats the one in row 5"]}},
        {"row": 7, "errors": {"csv": ["expected 5 fields, got 3"]}},
        {"row": 8, "errors": {"id_number": ["has a wrong check digit"]}},
    ]


def test_an_import_checks_birth_dates_against_today():
    body = HEADER + f"P1,{ID_1949},张三,1949-12-31,本科\n"
    result = parse_applications_csv(body, POSTS, today=date(1949, 12, 30))
    assert result.rejected == [{"row": 2, "errors": {"birth_date": ["is in the future"]}}]


def test_a_header_without_every_field_says_which_are_needed():
    assert refused(parse_applications_csv, "post,name\n", POSTS) == {
        "csv": ["the header must name each of post,id_number,name,birth_date,education once"]
    }
    assert refused(parse_eligibility_csv, "exam_number\n", set()) == {
        "csv": ["the header must name each of exam_number,eligible,reason once"]
    }


def test_each_fault_of_an_eligibility_decision_has_its_message():
    assert refused(decide_eligibility, "yes", 5) == {"eligible": ["must be true or false"], "reason": ["must be text"]}
    assert refused(decide_eligibility, False, None) == {
        "reason": ["is required when the applicant is found ineligible"]
    }
    assert decide_eligibility(False, "under age") == "ineligible"


def test_every_bad_eligibility_row_has_its_message_and_the_rows_after_it_are_read():
    known = {"C-00001", "C-00002"}
    text = "exam_number,eligible,reason\n" + "\n".join(
        [
            '"' + "x" * (128 * 1024 + 1) + '",true,',  # row 2: not readable
            "C-00009,maybe,",  # row 3
            "C-00001,false,",  # row 4
            "C-00001,false," + "r" * 501,  # row 5
            "C-00002,false," + "r" * 500,  # row 6: the longest reason
        ]
    )
    parsed = parse_eligibility_csv(text, known)
    assert parsed.rejected == [
        {"row": 2, "errors": {"csv": ["a field is over 131072 characters"]}},
        {
            "row": 3,
            "errors": {
                "exam_number": ["is not an exam number of this campaign"],
                "eligible": ["must be true or false"],
            },
        },
        {"row": 4, "errors": {"reason": ["is required when the applicant is found ineligible"]}},
        {"row": 5, "errors": {"reason": ["must be at most 500 characters"]}},
    ]
    assert [(d.row, d.exam_number, d.eligibility) for d in parsed.decisions] == [(6, "C-00002", "ineligible")]


# --- codes and the draw ------------------------------------------------------------------------------------------


def test_a_sequence_that_is_not_a_whole_number_is_refused_saying_where_it_starts():
    for bad in ("3", 0, True):
        with pytest.raises(ValueError, match="^sequence starts at 1$"):
            exam_number("C", bad)


def test_blind_codes_never_repeat_even_when_the_source_does():
    letters = iter("3" * 10 + "3" * 10 + "4" * 10)
    assert assign_blind_codes(2, set(), lambda alphabet: next(letters)) == ["3" * 10, "4" * 10]


def test_each_refusal_of_a_draw_says_why():
    assert refused(draw_interview, ["V1"], 0, [], "s") == {"examiners": ["must be a positive whole number"]}
    assert refused(draw_interview, ["V1"], 2, [], "s") == {
        "examiners": ["only 1 interview vendors are assigned to this campaign"]
    }
    with pytest.raises(ValueError, match="^a draw needs a seed$"):
        draw_interview(["V1"], 1, [], "")


# --- results -----------------------------------------------------------------------------------------------------


def cand(n):
    return Candidate(exam_number=f"C-{n:05d}", name=f"name{n}", post="P1", blind_code=f"B{n}")


def test_a_written_score_of_zero_ranks_below_any_higher_one_and_above_none():
    assert shortlist([cand(1), cand(2)], {"B1": Decimal(0), "B2": Decimal("0.5")}, {"P1": 1}, 1) == {"B2"}
    body = rank_results(
        [{"code": "P1", "seats": 1}],
        [cand(1), cand(2), cand(3)],
        {"B2": 0, "B3": Decimal("0.5")},
        {},
        WEIGHTS,
        3,
        False,
    )
    assert [r["exam_number"] for r in body["posts"][0]["ranking"]] == ["C-00003", "C-00002", "C-00001"]


def test_a_total_of_zero_ranks_below_any_higher_one():
    written = {"B1": Decimal(0), "B2": Decimal(1)}
    interview = {"B1": Decimal(0), "B2": Decimal(0)}
    body = rank_results([{"code": "P1", "seats": 1}], [cand(1), cand(2)], written, interview, WEIGHTS, 2, True)
    rows = body["posts"][0]["ranking"]
    assert [(r["exam_number"], r["interview"], r["total"]) for r in rows] == [
        ("C-00002", 0.0, 0.4),
        ("C-00001", 0.0, 0.0),
    ]


def test_the_results_notice_publishes_rank_status_and_total_only():
    posts = [
        {
            "post": "P1",
            "seats": 1,
            "ranking": [
                {
                    "exam_number": "C-1",
                    "name": "n",
                    "written": 90.0,
                    "interview": 80.0,
                    "total": 84.0,
                    "rank": 1,
                    "status": "selected",
                }
            ],
        }
    ]
    assert notice(posts) == [
        {
            "post": "P1",
            "seats": 1,
            "ranking": [{"exam_number": "C-1", "name": "n", "rank": 1, "status": "selected", "total": 84.0}],
        }
    ]


def test_a_blind_code_scored_twice_by_one_examiner_is_reported_saying_so():
    _, problems = collect_scores([OpenedSheet("s1", "E1", {"A": 1}), OpenedSheet("s2", "E1", {"A": 1})])
    assert [p.as_dict() for p in problems] == [
        {
            "sheet": sheet,
            "code": "duplicate_blind_code",
            "detail": "the examiner scored this blind code in more than one sheet",
            "blind_code": "A",
        }
        for sheet in ("s1", "s2")
    ]
