"""Applications: resident ID numbers, the CSV import, and eligibility."""

from datetime import date

import pytest

from services.common.errors import Invalid
from services.examination.domain.applications import (
    decide_eligibility,
    id_number_problem,
    parse_applications_csv,
    validate_application,
)

# Examples from GB 11643-1999 itself.
ID_1949 = "11010519491231002X"
ID_1880 = "440524188001010014"
POSTS = {"P1", "P2"}
HEADER = "post,id_number,name,birth_date,education\n"


@pytest.mark.parametrize("value", [ID_1949, ID_1880, ID_1949.lower()])
def test_valid_id_numbers(value):
    assert id_number_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002",  # 17 characters
        "11010519491231002XX",
        "01010519491231002X",  # region code cannot start with 0
        "11010519490231002X",  # 31 February is not a date
        "1101051949123100AX",
        None,
    ],
)
def test_invalid_id_numbers(value):
    assert id_number_problem(value)


def applicant(**change):
    return {"id_number": ID_1949, "name": "张三", "birth_date": "1949-12-31", "education": "本科", **change}


def test_single_application():
    result = validate_application("P1", applicant(id_number=ID_1949.lower()), POSTS)
    assert result.id_number == ID_1949 and result.post == "P1"


def test_single_application_errors_name_nested_fields_and_never_echo_personal_data():
    with pytest.raises(Invalid) as exc:
        validate_application("P9", applicant(id_number="110105194912310021", birth_date="31/12/1949", name=""), POSTS)
    assert set(exc.value.errors) == {"post", "applicant.id_number", "applicant.birth_date", "applicant.name"}
    text = repr(exc.value.errors) + exc.value.detail
    assert "110105194912310021" not in text and "张三" not in text


def test_birth_date_must_match_the_id_number():
    with pytest.raises(Invalid) as exc:
        validate_application("P1", applicant(birth_date="1949-12-30"), POSTS)
    assert list(exc.value.errors) == ["applicant.birth_date"]


def test_birth_date_in_the_future():
    with pytest.raises(Invalid) as exc:
        validate_application("P1", applicant(), POSTS, today=date(1940, 1, 1))
    assert list(exc.value.errors) == ["applicant.birth_date"]


def test_csv_keeps_good_rows_and_rejects_bad_ones_by_row():
    body = (
        HEADER
        + "\n".join(
            [
                f"P1,{ID_1949},张三,1949-12-31,本科",  # row 2: good
                "P1,110105194912310021,李四,1949-12-31,本科",  # row 3: check digit
                f"P3,{ID_1880},王五,1880-01-01,硕士",  # row 4: unknown post
                f"P2,{ID_1880},王五,1880-1-1,硕士",  # row 5: date format
                "",  # row 6: blank, skipped
                f"P2,{ID_1880},王五,1880-01-01,硕士",  # row 7: good
                f"P2,{ID_1880},赵六,1880-01-01,硕士",  # row 8: repeats row 7's ID number
                "P2,only,three",  # row 9: wrong number of fields
            ]
        )
        + "\n"
    )
    result = parse_applications_csv(body, POSTS)
    assert [row for row, _ in result.applicants] == [2, 7]
    assert [a.name for _, a in result.applicants] == ["张三", "王五"]
    rejected = {r["row"]: r["errors"] for r in result.rejected}
    assert set(rejected) == {3, 4, 5, 8, 9}
    assert list(rejected[3]) == ["id_number"]
    assert list(rejected[4]) == ["post"]
    assert list(rejected[5]) == ["birth_date"]
    assert rejected[8] == {"id_number": ["repeats the one in row 7"]}
    assert list(rejected[9]) == ["csv"]
    assert "110105194912310021" not in repr(result.rejected) and ID_1880 not in repr(result.rejected)
    assert "李四" not in repr(result.rejected)


def test_csv_already_registered_in_the_campaign():
    result = parse_applications_csv(HEADER + f"P1,{ID_1949.lower()},张三,1949-12-31,本科\n", POSTS, {ID_1949})
    assert result.applicants == []
    assert result.rejected == [{"row": 2, "errors": {"id_number": ["has already applied in this campaign"]}}]


def test_csv_with_bom_reordered_columns_quotes_and_crlf():
    body = (
        "\ufeffname,post,education,birth_date,id_number,note\r\n"
        f'"张,三",P1,"本科\n(全日制)",1949-12-31,{ID_1949},x\r\n'
        f"王五,P2,硕士,1880-01-01,{ID_1880},\r\n"
    )
    result = parse_applications_csv(body.encode("utf-8"), POSTS)
    assert result.rejected == []
    assert [(row, a.name) for row, a in result.applicants] == [(2, "张,三"), (3, "王五")]


@pytest.mark.parametrize(
    "body", ["", "post,id_number,name\nP1,x,y\n", "post,post,id_number,name,birth_date,education\n"]
)
def test_csv_header_must_name_every_field(body):
    with pytest.raises(Invalid) as exc:
        parse_applications_csv(body, POSTS)
    assert list(exc.value.errors) == ["csv"]


def test_csv_not_utf8():
    with pytest.raises(Invalid):
        parse_applications_csv((HEADER + "P1,x,张三,1949-12-31,本科\n").encode("gbk"), POSTS)


def test_eligibility():
    assert decide_eligibility(True, None) == "eligible"
    assert decide_eligibility(False, "not enough grassroots years") == "ineligible"
    with pytest.raises(Invalid) as exc:
        decide_eligibility(False, "  ")
    assert list(exc.value.errors) == ["reason"]
    with pytest.raises(Invalid) as exc:
        decide_eligibility("yes", "ok")
    assert list(exc.value.errors) == ["eligible"]
