"""The eligibility CSV (exam_number,eligible,reason): good rows decided, each bad row named."""

import pytest

from services.common.errors import Invalid
from services.examination.domain.applications import EligibilityDecision, parse_eligibility_csv

KNOWN = {"C-00001", "C-00002", "C-00003", "C-00004"}


def test_good_rows_become_decisions_in_file_order():
    text = "\ufeffexam_number,eligible,reason\nC-00002,true,\nC-00001,FALSE, under age \n\nC-00003,True,ok\n"
    parsed = parse_eligibility_csv(text, KNOWN)
    assert parsed.rejected == []
    assert parsed.decisions == [
        EligibilityDecision(2, "C-00002", "eligible", ""),
        EligibilityDecision(3, "C-00001", "ineligible", "under age"),
        EligibilityDecision(5, "C-00003", "eligible", "ok"),
    ]


def test_every_bad_row_is_named_and_the_good_ones_kept():
    text = (
        "exam_number,eligible,reason\n"
        "C-00009,true,\n"  # 2: unknown exam number
        "C-00001,yes,\n"  # 3: not a boolean
        "C-00002,false,\n"  # 4: ineligible without a reason
        "C-00003,true,x,extra\n"  # 5: wrong field count
        "C-00004,false,too old\n"  # 6: good
        "C-00004,true,\n"  # 7: repeats row 6
        f"C-00001,true,{'r' * 501}\n"
    )  # 8: reason too long
    parsed = parse_eligibility_csv(text, KNOWN)
    assert [d.row for d in parsed.decisions] == [6]
    errors = {r["row"]: r["errors"] for r in parsed.rejected}
    assert sorted(errors) == [2, 3, 4, 5, 7, 8]
    assert list(errors[2]) == ["exam_number"] and list(errors[3]) == ["eligible"]
    assert list(errors[4]) == ["reason"] and list(errors[5]) == ["csv"]
    assert errors[7] == {"exam_number": ["repeats the one in row 6"]} and list(errors[8]) == ["reason"]


def test_columns_in_any_order_and_extra_columns_ignored():
    parsed = parse_eligibility_csv("reason,note,eligible,exam_number\nbad record,x,false,C-00001\n", KNOWN)
    assert parsed.decisions == [EligibilityDecision(2, "C-00001", "ineligible", "bad record")]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "exam_number,eligible\nC-00001,true\n",
        "exam_number,eligible,reason,reason\n",
        b"exam_number,eligible,reason\n\xff\n",
        None,
    ],
)
def test_a_bad_body_is_400_naming_csv(text):
    with pytest.raises(Invalid) as exc:
        parse_eligibility_csv(text, KNOWN)
    assert list(exc.value.errors) == ["csv"]
