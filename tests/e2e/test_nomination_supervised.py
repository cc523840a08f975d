"""Nomination's decision, appointment and filing driven through the real supervision flow of API.md:
joint-review verdicts by the four departments, the pre-appointment report, the public notice and its
objections. Short durations: its own suite with a notice period of a few seconds."""

from datetime import timedelta

import pytest

from tests.e2e.test_nomination_support import (
    DEPARTMENTS,
    decision,
    inspect,
    ok,
    principals,
    problem,
    stage,
    to_inspection,
)
from tests.harness import Suite, eventually

NOTICE_SECONDS = 6


@pytest.fixture(scope="module")
def suite():
    running = Suite(
        NOTICE_PERIOD_SECONDS=NOTICE_SECONDS,
        REVIEW_DEADLINE_SECONDS=600,
        SUPERVISION_TICK_SECONDS=0.5,
        PUBLIC_RATE_PER_SECOND=1000,
        PUBLIC_RATE_BURST=1000,
    ).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(suite):
    return principals(suite.api)


def reviews(api, sel, expected):
    def found():
        r = api.get(f"/api/v1/reviews?selection={sel}", as_="org")
        items = r.json().get("items", []) if r.status_code == 200 else []
        return items if len(items) == expected else None

    return eventually(found, timeout=30)


def verdicts(api, sel, cadre, verdict="clear", reason="none found", departments=DEPARTMENTS):
    review = next(r for r in reviews_now(api, sel) if r["cadre"] == cadre)
    for department in departments:
        ok(api.post(f"/api/v1/reviews/{review['id']}/verdicts", {"verdict": verdict, "reason": reason}, as_=department))


def reviews_now(api, sel):
    return ok(api.get(f"/api/v1/reviews?selection={sel}", as_="org"))["items"]


def inspected(api, **kwargs):
    w = to_inspection(api, **kwargs)
    ok(inspect(api, w["selection"], w["cadres"]))
    reviews(api, w["selection"], len(w["cadres"]))
    return w


def cleared(api, **kwargs):
    w = inspected(api, **kwargs)
    for cadre in w["cadres"]:
        verdicts(api, w["selection"], cadre)
    return w


def decide(api, sel, appointees, **kwargs):
    return api.post(f"/api/v1/selections/{sel}/decision", decision(appointees, **kwargs), as_="committee")


def decided(api, **kwargs):
    w = cleared(api, **kwargs)
    eventually(lambda: decide(api, w["selection"], w["cadres"][:1]).status_code == 200, timeout=30)
    assert stage(api, w["selection"]) == "public_notice"
    return w


def notice_of(api, sel):
    return eventually(lambda: ok(api.get(f"/api/v1/selections/{sel}", as_="org"))["notice"], timeout=30)


def appoint(api, sel):
    return api.post(f"/api/v1/selections/{sel}/appointment", as_="org")


def answers(api, sel, status, code_):
    def check():
        r = appoint(api, sel)
        return r.status_code == status and r.json().get("code") == code_

    eventually(check, timeout=30)


def test_decision_rules_in_order_then_notice_appointment_and_filing(api):
    w = inspected(api, nominees=2, competitive=True)
    sel, cadres = w["selection"], w["cadres"]
    problem(decide(api, sel, cadres[:1]), 422, "not_cleared")
    verdicts(api, sel, cadres[0])
    verdicts(api, sel, cadres[1])
    eventually(
        lambda: decide(api, sel, cadres[:1], lead=timedelta(hours=1)).json().get("code") == "ad_hoc_motion", timeout=30
    )
    problem(decide(api, sel, cadres[:1], members=11, present=7), 422, "quorum_not_met")
    problem(decide(api, sel, cadres), 422, "slate_ratio")  # two appointees for one vacancy
    body = ok(decide(api, sel, cadres[:1]))
    assert body["stage"] == "public_notice"
    assert {n["cadre"]: n["status"] for n in body["nominees"]}[cadres[0]] == "appointee"
    problem(decide(api, sel, cadres[:1]), 409, "wrong_stage")
    problem(appoint(api, sel), 409, "too_early")
    problem(
        api.post(f"/api/v1/selections/{sel}/filing", {"filed_with": "District", "reference": "F-1"}, as_="org"),
        422,
        "out_of_order",
    )
    eventually(lambda: stage(api, sel) == "appointment", timeout=NOTICE_SECONDS + 30)
    body = ok(appoint(api, sel))
    assert body["stage"] == "filing"
    assert {n["cadre"]: n["status"] for n in body["nominees"]}[cadres[0]] == "appointed"
    books = ok(api.get(f"/api/v1/posts/{w['post']}", as_="org"))
    assert (books["occupied"], books["reserved"], books["vacancies"]) == (1, 0, 1)
    problem(appoint(api, sel), 409, "wrong_stage")
    body = ok(api.post(f"/api/v1/selections/{sel}/filing", {"filed_with": "District", "reference": "F-1"}, as_="org"))
    assert body["stage"] == "closed"
    assert [h["stage"] for h in body["history"]][-4:] == ["public_notice", "appointment", "filing", "closed"]


def test_key_leadership_needs_an_approved_pre_report(api):
    w = cleared(api, category="key_leadership", post_rank="section", cadre_rank="deputy_section")
    sel, cadres = w["selection"], w["cadres"]
    eventually(lambda: decide(api, sel, cadres).json().get("code") == "pre_report_required", timeout=30)
    report = ok(api.post(f"/api/v1/selections/{sel}/pre-report", {}, as_="org"), 201)
    problem(api.post(f"/api/v1/pre-reports/{report['id']}/approve", {}, as_="org"), 403, "forbidden")
    ok(api.post(f"/api/v1/pre-reports/{report['id']}/approve", {}, as_="superior"))
    problem(api.post(f"/api/v1/pre-reports/{report['id']}/approve", {}, as_="superior"), 409, "already_submitted")
    eventually(lambda: decide(api, sel, cadres).status_code == 200, timeout=30)
    assert stage(api, sel) == "public_notice"


def test_a_pending_objection_blocks_until_resolved(api):
    w = decided(api)
    sel = w["selection"]
    notice = notice_of(api, sel)
    objection = ok(api.post(f"/api/v1/notices/{notice}/objections", {"content": "a question about the record"}), 201)
    answers(api, sel, 422, "objection_pending")
    # the notice period ends with the objection still pending: still blocked
    eventually(
        lambda: any(n["id"] == notice and n["status"] == "closed" for n in ok(api.get("/api/v1/notices"))["items"]),
        timeout=NOTICE_SECONDS + 30,
    )
    problem(appoint(api, sel), 422, "objection_pending")
    ok(
        api.post(
            f"/api/v1/objections/{objection['id']}/resolve", {"upheld": False, "finding": "unfounded"}, as_="discipline"
        )
    )
    eventually(lambda: stage(api, sel) == "appointment", timeout=30)
    assert ok(appoint(api, sel))["stage"] == "filing"


def test_an_upheld_objection_closes_the_selection_and_releases_its_vacancies(api):
    w = decided(api)
    sel, post = w["selection"], w["post"]
    assert ok(api.get(f"/api/v1/posts/{post}", as_="org"))["reserved"] == 1
    notice = notice_of(api, sel)
    objection = ok(api.post(f"/api/v1/notices/{notice}/objections", {"content": "undisclosed business"}), 201)
    ok(
        api.post(
            f"/api/v1/objections/{objection['id']}/resolve", {"upheld": True, "finding": "confirmed"}, as_="discipline"
        )
    )
    answers(api, sel, 422, "objection_upheld")
    eventually(lambda: stage(api, sel) == "closed", timeout=NOTICE_SECONDS + 30)
    books = ok(api.get(f"/api/v1/posts/{post}", as_="org"))
    assert (books["occupied"], books["reserved"], books["vacancies"]) == (0, 0, 2)
    # closed, yet the answer still says why rather than wrong_stage
    problem(appoint(api, sel), 422, "objection_upheld")
    detail = ok(api.get(f"/api/v1/selections/{sel}", as_="org"))
    assert detail["closed_reason"] == "objection_upheld"


def test_a_concealment_veto_voids_the_nomination(api):
    w = inspected(api)
    sel, cadre = w["selection"], w["cadres"][0]
    verdicts(api, sel, cadre, verdict="veto", reason="concealment", departments=("discipline",))

    def voided():
        nominees = ok(api.get(f"/api/v1/selections/{sel}", as_="org"))["nominees"]
        return nominees[0]["status"] == "voided"

    eventually(voided, timeout=30)
    problem(decide(api, sel, [cadre]), 422, "not_cleared")
