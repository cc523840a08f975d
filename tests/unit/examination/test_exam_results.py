"""Scores, the written shortlist and the published ranking."""

from decimal import Decimal

import pytest

from services.examination.domain.results import (
    Candidate,
    collect_scores,
    interview_score,
    rank_results,
    shortlist,
    shortlist_size,
    stage_scores,
    total_score,
    written_by_vendor,
    written_score,
)
from services.examination.sealing import open_sheets, seal_sheet
from services.examination.sealing.keys import keygen, new_campaign_keypair
from services.examination.sealing.sheets import OpenedSheet

WEIGHTS = {"written": 0.4, "interview": 0.6}


def test_interview_mean_without_dropping_below_five_examiners():
    assert interview_score([100, 90, 80, 10]) == Decimal("70.00")  # dropping would give 85


def test_interview_drops_one_highest_and_one_lowest_from_five_examiners():
    assert interview_score([100, 80, 70, 60, 0]) == Decimal("70.00")
    # Only one of two equal highest is dropped.
    assert interview_score([90, 90, 80, 70, 60]) == Decimal("80.00")
    assert interview_score([95, 85, 85, 80, 75, 20, 90]) == Decimal("83.00")  # 415 / 5


def test_scores_round_half_up_to_cents():
    assert written_score([80, 80, 81]) == Decimal("80.33")
    assert interview_score([Decimal("85.125")]) == Decimal("85.13")
    assert written_score([Decimal("0.005")]) == Decimal("0.01")


def test_total_uses_the_weights():
    assert total_score(Decimal("80"), Decimal("90"), WEIGHTS) == Decimal("86.00")
    assert total_score(Decimal("80"), Decimal("90"), {"written": 0.5, "interview": 0.5}) == Decimal("85.00")


@pytest.mark.parametrize("seats,ratio,size", [(2, 3, 6), (3, 1.5, 5), (10, 1.1, 11), (1, 1, 1), (3, 2.0, 6)])
def test_shortlist_size(seats, ratio, size):
    assert shortlist_size(seats, ratio) == size


def cand(n, post="P1"):
    return Candidate(exam_number=f"C-{n:05d}", name=f"name{n}", post=post, blind_code=f"B{n}")


def test_shortlist_is_per_post_and_cut_exactly_with_ties_by_exam_number():
    candidates = [cand(i) for i in range(1, 7)] + [cand(i, "P2") for i in range(7, 10)]
    written = {"B1": 70, "B2": 90, "B3": 80, "B4": 80, "B5": 60, "B6": 95, "B7": 50, "B8": 40}
    chosen = shortlist(candidates, written, {"P1": 1, "P2": 1}, 3)
    # P1 top 3: B6 (95), B2 (90), then B3 and B4 tie at 80: B3 has the lower exam number.
    # P2: B9 has no written score and cannot be shortlisted.
    assert chosen == {"B6", "B2", "B3", "B7", "B8"}


def results(candidates, written, interview, unsealed, seats=1, ratio=3):
    body = rank_results([{"code": "P1", "seats": seats}], candidates, written, interview, WEIGHTS, ratio, unsealed)
    return body["posts"][0]


def test_before_the_interview_unseal():
    candidates = [cand(i) for i in range(1, 6)]
    written = {"B1": Decimal("70"), "B2": Decimal("90"), "B3": Decimal("80"), "B4": Decimal("85")}
    post = results(candidates, written, {"B1": Decimal(99)}, unsealed=False)
    assert post["post"] == "P1" and post["seats"] == 1
    rows = post["ranking"]
    assert [r["exam_number"] for r in rows] == ["C-00002", "C-00004", "C-00003", "C-00001", "C-00005"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["status"] for r in rows] == ["shortlisted"] * 3 + ["not_selected"] * 2
    assert all(r["interview"] is None and r["total"] is None for r in rows)
    assert rows[0] == {
        "exam_number": "C-00002",
        "name": "name2",
        "written": 90.0,
        "interview": None,
        "total": None,
        "rank": 1,
        "status": "shortlisted",
    }
    assert rows[-1]["written"] is None


def test_after_the_interview_unseal():
    candidates = [cand(i) for i in range(1, 6)]
    written = {"B1": Decimal(95), "B2": Decimal(90), "B3": Decimal(85), "B4": Decimal(60), "B5": Decimal(99)}
    # Shortlist (3 for 1 seat): B5, B1, B2. B3 was not shortlisted: its interview score is ignored.
    interview = {"B5": Decimal(60), "B1": Decimal(80), "B2": Decimal(90), "B3": Decimal(100)}
    rows = results(candidates, written, interview, unsealed=True, seats=1)["ranking"]
    # totals: B2 0.4*90+0.6*90 = 90; B1 38+48 = 86; B5 39.6+36 = 75.6
    assert [(r["exam_number"], r["total"], r["status"]) for r in rows] == [
        ("C-00002", 90.0, "selected"),
        ("C-00001", 86.0, "not_selected"),
        ("C-00005", 75.6, "not_selected"),
        ("C-00003", None, "not_selected"),
        ("C-00004", None, "not_selected"),
    ]
    assert rows[3]["interview"] is None


def test_two_seats_are_two_selected():
    candidates = [cand(i) for i in range(1, 5)]
    written = {f"B{i}": Decimal(80 + i) for i in range(1, 5)}
    interview = {f"B{i}": Decimal(70 + i) for i in range(1, 5)}
    rows = results(candidates, written, interview, unsealed=True, seats=2, ratio=2)["ranking"]
    assert [r["status"] for r in rows] == ["selected", "selected", "not_selected", "not_selected"]
    assert [r["exam_number"] for r in rows[:2]] == ["C-00004", "C-00003"]


def test_equal_totals_are_broken_by_written_then_exam_number():
    candidates = [cand(i) for i in range(1, 4)]
    # 0.4*90 + 0.6*80 = 84 = 0.4*75 + 0.6*90; B3 equals B1 in both.
    written = {"B1": Decimal(90), "B2": Decimal(75), "B3": Decimal(90)}
    interview = {"B1": Decimal(80), "B2": Decimal(90), "B3": Decimal(80)}
    rows = results(candidates, written, interview, unsealed=True, seats=1)["ranking"]
    assert [r["total"] for r in rows] == [84.0, 84.0, 84.0]
    assert [r["exam_number"] for r in rows] == ["C-00001", "C-00003", "C-00002"]
    assert [r["status"] for r in rows] == ["selected", "not_selected", "not_selected"]


def test_shortlisted_but_absent_from_the_interview_is_not_selected():
    candidates = [cand(1), cand(2)]
    written = {"B1": Decimal(99), "B2": Decimal(50)}
    rows = results(candidates, written, {"B2": Decimal(60)}, unsealed=True, seats=1, ratio=2)["ranking"]
    assert [(r["exam_number"], r["status"]) for r in rows] == [("C-00002", "selected"), ("C-00001", "not_selected")]


def test_collect_scores_across_sheets_and_duplicates():
    sheets = [
        OpenedSheet("s1", "E1", {"A": 80, "B": 70}),
        OpenedSheet("s2", "E1", {"C": 60, "B": 70}),  # B again, even alike: scored twice, not scored
        OpenedSheet("s3", "E2", {"A": 90}),
        OpenedSheet("s4", "E2", {"A": 10}),  # E2 scores A three times
        OpenedSheet("s5", "E2", {"A": 50}),
        OpenedSheet("s6", "E3", {"B": 40}),  # another examiner scoring B is no duplicate
    ]
    collected, problems = collect_scores(sheets)
    assert collected == {"A": {"E1": 80}, "B": {"E3": 40}, "C": {"E1": 60}}
    assert sorted((p.sheet, p.code, p.blind_code) for p in problems) == [
        ("s1", "duplicate_blind_code", "B"),
        ("s2", "duplicate_blind_code", "B"),
        ("s3", "duplicate_blind_code", "A"),
        ("s4", "duplicate_blind_code", "A"),
        ("s5", "duplicate_blind_code", "A"),
    ]


def test_written_graders_of_one_vendor_are_one_vendor_score():
    # V1 names one grader, V2 invents three: each vendor still counts once
    given = {"V1": 90, "V2/a": 10, "V2/b": 10, "V2/c": 40}
    assert written_by_vendor(given) == Decimal("55.00")  # (90 + 20) / 2
    assert written_by_vendor({"V1/x": 81, "V1/y": 80}) == Decimal("80.50")
    sheets = [OpenedSheet("s1", "V1", {"A": 90})] + [OpenedSheet(f"g{n}", f"V2/g{n}", {"A": 0}) for n in range(50)]
    assert stage_scores(sheets, "written")[0] == {"A": Decimal("45.00")}


def test_stage_scores_apply_the_stage_rule():
    sheets = [OpenedSheet(f"s{i}", f"E{i}", {"A": score}) for i, score in enumerate([100, 80, 70, 60, 0])]
    assert stage_scores(sheets, "interview")[0] == {"A": Decimal("70.00")}
    assert stage_scores(sheets, "written")[0] == {"A": Decimal("62.00")}


def test_open_check_and_rank_100000_scores():
    campaign, key, vendor = "BIG", new_campaign_keypair(), keygen()
    posts = [{"code": f"P{p}", "seats": 5} for p in range(100)]
    candidates = [Candidate(f"BIG-{i:06d}", f"n{i}", f"P{i % 100}", f"K{i:06d}") for i in range(1, 100_001)]
    scores = [{"blind_code": c.blind_code, "score": (i * 7919) % 10001 / 100} for i, c in enumerate(candidates)]
    body = seal_sheet(campaign, "written", "GRADER", scores, key.public_key, vendor.signing_key)
    sheet = {"id": "w1", "examiner": "GRADER", "ciphertext": body["ciphertext"], "commitment": body["commitment"]}
    opened = open_sheets(key.private_key, [sheet], campaign, "written", {c.blind_code for c in candidates})
    assert opened.problems == []
    written, problems = stage_scores(opened.sheets, "written")
    assert problems == [] and len(written) == 100_000
    result = rank_results(posts, candidates, written, {}, WEIGHTS, 3, interview_unsealed=False)
    assert len(result["posts"]) == 100
    for post in result["posts"]:
        ranking = post["ranking"]
        assert len(ranking) == 1000
        assert sum(r["status"] == "shortlisted" for r in ranking) == 15
        assert all(a["written"] >= b["written"] for a, b in zip(ranking, ranking[1:]))
