"""Validation of units, posts and cadres, and CSV imports."""

import pytest

from services.common.errors import Invalid
from services.nomination.domain.entities import (
    import_cadres,
    import_posts,
    validate_cadre,
    validate_post,
    validate_unit,
)

POST = {
    "code": "P1",
    "unit": "U1",
    "title": "Deputy director",
    "rank": "deputy_section",
    "category": "promotion",
    "headcount": 2,
}
CADRE = {"code": "C1", "name": "Zhang San", "unit": "U1", "rank": "clerk", "grassroots_years": 4}


def test_valid_post_and_its_free_vacancies():
    post = validate_post(POST)
    assert post.vacancies == 2 and post.mode == "democratic_recommendation"


@pytest.mark.parametrize(
    "field,value",
    [
        ("rank", "director"),
        ("category", "honorary"),
        ("headcount", 0),
        ("headcount", "2"),
        ("headcount", True),
        ("code", "bad code"),
        ("title", ""),
    ],
)
def test_bad_post_field(field, value):
    with pytest.raises(Invalid) as exc:
        validate_post({**POST, field: value})
    assert field in exc.value.errors


def test_post_unknown_field():
    with pytest.raises(Invalid) as exc:
        validate_post({**POST, "salary": 1})
    assert "salary" in exc.value.errors


def test_valid_cadre():
    assert validate_cadre(CADRE).level == 0


@pytest.mark.parametrize(
    "field,value",
    [
        ("rank", "Clerk"),
        ("grassroots_years", -1),
        ("grassroots_years", 61),
        ("name", "  "),
        ("unit", None),
    ],
)
def test_bad_cadre_field(field, value):
    with pytest.raises(Invalid) as exc:
        validate_cadre({**CADRE, field: value})
    assert field in exc.value.errors


def test_bad_cadre_errors_hold_no_personal_data():
    with pytest.raises(Invalid) as exc:
        validate_cadre({**CADRE, "rank": "x"})
    assert "Zhang" not in exc.value.detail


def test_unit():
    assert validate_unit({"code": "U1", "name": "Town office"}).code == "U1"
    with pytest.raises(Invalid):
        validate_unit({"code": "", "name": "x"})


def test_post_import_keeps_good_rows_and_reports_bad_ones():
    text = (
        "code,unit,title,rank,category,headcount\n"
        "P1,U1,Deputy,deputy_section,promotion,2\n"
        "P2,U1,Chief,chief,promotion,1\n"
        "P3,U2,Head,section,key_leadership,x\n"
        "P1,U1,Again,section,promotion,1\n"
        "P4,U2,Head,section,key_leadership,1\n"
    )
    result = import_posts(text)
    assert [p.code for p in result.good] == ["P1", "P4"]
    assert result.good[0].headcount == 2
    assert [r["row"] for r in result.rejected] == [2, 3, 4]
    assert result.rows == [1, 5]
    assert "rank" in result.rejected[0]["errors"]
    assert "headcount" in result.rejected[1]["errors"]
    assert "code" in result.rejected[2]["errors"]
    assert result.summary()["imported"] == 2


def test_cadre_import_parses_years():
    text = "\ufeffcode,name,unit,rank,grassroots_years\nC1,Zhang,U1,clerk,3.5\nC2,Li,U1,clerk,\n"
    result = import_cadres(text)
    assert result.good[0].grassroots_years == 3.5
    assert result.rejected[0]["row"] == 2 and "grassroots_years" in result.rejected[0]["errors"]


def test_import_with_wrong_header_is_a_400():
    with pytest.raises(Invalid):
        import_posts("code,unit\nP1,U1\n")
    with pytest.raises(Invalid):
        import_cadres("")


def test_import_row_with_extra_cells_is_rejected():
    result = import_posts("code,unit,title,rank,category,headcount\nP1,U1,T,clerk,promotion,1,extra\n")
    assert result.good == [] and result.rejected[0]["row"] == 1
