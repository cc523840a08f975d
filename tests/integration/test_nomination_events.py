"""Nomination over real RabbitMQ and the database, with the events of supervision and examination put on
the bus directly: what nomination does with each, and that a redelivered or stale event changes nothing."""

import pytest

from tests.e2e.test_nomination_support import (
    decision,
    inspect,
    make_cadre,
    make_post,
    make_unit,
    nominate,
    ok,
    open_selection,
    principals,
    problem,
    publish,
    stage,
    to_inspection,
    to_recommendation,
)
from tests.harness import Suite, entrypoint_runs, eventually, ran_again


@pytest.fixture(scope="module")
def suite():
    running = Suite(PUBLIC_RATE_PER_SECOND=1000, PUBLIC_RATE_BURST=1000).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(suite):
    return principals(suite.api)


def supervision(suite, event_type, sel, data):
    return publish(suite, "supervision", event_type, f"selection:{sel}", {"selection": sel, **data})


def decided(api, suite):
    w = to_inspection(api)
    sel, cadre = w["selection"], w["cadres"][0]
    ok(inspect(api, sel, w["cadres"]))
    supervision(suite, "review.cleared", sel, {"review": "r-1", "cadre": cadre})
    eventually(
        lambda: api.post(f"/api/v1/selections/{sel}/decision", decision([cadre]), as_="committee").status_code == 200
    )
    return w


def nomination_copy(suite, sel):
    """Nomination's copy of supervision's state for a selection, as its database holds it."""
    import pymongo

    return pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/").nomination.selections.find_one(
        {"_id": sel}
    )


def books(api, post):
    b = ok(api.get(f"/api/v1/posts/{post}", as_="org"))
    return b["occupied"], b["reserved"], b["vacancies"]


def test_notice_closed_clear_twice_and_appointment_books_once(api, suite):
    w = decided(api, suite)
    sel, post = w["selection"], w["post"]
    problem(api.post(f"/api/v1/selections/{sel}/appointment", as_="org"), 409, "too_early")
    event = supervision(
        suite, "notice.closed", sel, {"notice": "n-1", "outcome": "clear", "revision": 1, "pending": 0, "upheld": 0}
    )
    eventually(lambda: stage(api, sel) == "appointment")
    publish(suite, "supervision", "notice.closed", None, None, envelope=event)  # redelivered
    supervision(
        suite, "notice.closed", sel, {"notice": "n-1", "outcome": "clear", "revision": 1, "pending": 0, "upheld": 0}
    )  # stale copy
    ok(api.post(f"/api/v1/selections/{sel}/appointment", as_="org"))
    assert books(api, post) == (1, 0, 1)
    detail = ok(api.get(f"/api/v1/selections/{sel}", as_="org"))
    assert [h["stage"] for h in detail["history"]].count("appointment") == 1


def test_upheld_objection_delivered_twice_releases_the_vacancies_once(api, suite):
    w = decided(api, suite)
    sel, post = w["selection"], w["post"]
    assert books(api, post) == (0, 1, 1)
    closings = entrypoint_runs(suite, "nomination", "on_notice_closed")
    supervision(suite, "objection.lodged", sel, {"notice": "n-2", "objection": "o-1"})
    # (an appointment call now would be decided by asking the real supervision, whose notice knows nothing of
    # the objection this test put on the bus: what is checked here is nomination's copy)
    eventually(lambda: "o-1" in nomination_copy(suite, sel)["objections_lodged"])
    supervision(
        suite, "notice.closed", sel, {"notice": "n-2", "outcome": "pending", "revision": 1, "pending": 1, "upheld": 0}
    )
    supervision(suite, "objection.resolved", sel, {"notice": "n-2", "objection": "o-1", "upheld": True})
    event = supervision(
        suite, "notice.closed", sel, {"notice": "n-2", "outcome": "upheld", "revision": 2, "pending": 0, "upheld": 1}
    )
    eventually(lambda: stage(api, sel) == "closed")
    publish(suite, "supervision", "notice.closed", None, None, envelope=event)
    supervision(
        suite, "notice.closed", sel, {"notice": "n-2", "outcome": "upheld", "revision": 3, "pending": 0, "upheld": 1}
    )
    # an older revision arriving late changes nothing either
    supervision(
        suite, "notice.closed", sel, {"notice": "n-2", "outcome": "clear", "revision": 1, "pending": 0, "upheld": 0}
    )
    ran_again(suite, "nomination", "on_notice_closed", closings, times=5)  # every notice.closed above handled
    assert ok(api.get(f"/api/v1/selections/{sel}", as_="org"))["stage"] == "closed"
    assert books(api, post) == (0, 0, 2)
    problem(api.post(f"/api/v1/selections/{sel}/appointment", as_="org"), 422, "objection_upheld")


def test_concealment_veto_voids_and_other_vetoes_block(api, suite):
    w = to_inspection(api, nominees=2, competitive=True, vacancies=1)
    sel, (a, b) = w["selection"], w["cadres"]
    ok(inspect(api, sel, w["cadres"]))
    supervision(
        suite,
        "review.vetoed",
        sel,
        {"review": "r-a", "cadre": a, "department": "audit", "reason": "concealment", "concealment": True},
    )
    supervision(
        suite,
        "review.vetoed",
        sel,
        {"review": "r-b", "cadre": b, "department": "petition", "reason": "complaints", "concealment": False},
    )
    eventually(
        lambda: (
            {n["cadre"]: n["status"] for n in ok(api.get(f"/api/v1/selections/{sel}", as_="org"))["nominees"]}[a]
            == "voided"
        )
    )
    problem(api.post(f"/api/v1/selections/{sel}/decision", decision([a]), as_="committee"), 422, "not_cleared")
    problem(api.post(f"/api/v1/selections/{sel}/decision", decision([b]), as_="committee"), 422, "not_cleared")
    statuses = {n["cadre"]: n["status"] for n in ok(api.get(f"/api/v1/selections/{sel}", as_="org"))["nominees"]}
    assert statuses == {a: "voided", b: "shortlisted"}


def test_public_selection_basis_comes_from_the_published_results(api, suite):
    unit = make_unit(api)
    post = make_post(api, unit, rank="section", category="public_selection", headcount=2)
    by_number = make_cadre(api, unit, rank="clerk")
    by_name = make_cadre(api, unit, rank="clerk", name="Sun Li")
    beyond = make_cadre(api, unit, rank="clerk", name="Zhou Qi")
    sel = ok(open_selection(api, post), 201)["id"]
    to_recommendation(api, sel, [unit])
    campaign = "CAMP-" + sel[:8]
    problem(nominate(api, sel, by_number, {"campaign": campaign}), 422, "no_basis")  # nothing published yet
    publish(
        suite,
        "examination",
        "campaign.results_published",
        f"campaign:{campaign}",
        {
            "campaign": campaign,
            "posts": [
                {
                    "post": post,
                    "seats": 2,
                    "ranking": [
                        {"exam_number": by_number, "name": "Somebody", "rank": 1, "status": "selected", "total": 88.0},
                        {"exam_number": "E-0002", "name": "Sun Li", "rank": 2, "status": "selected", "total": 80.0},
                        {
                            "exam_number": "E-0003",
                            "name": "Zhou Qi",
                            "rank": 3,
                            "status": "not_selected",
                            "total": 70.0,
                        },
                    ],
                }
            ],
        },
    )
    eventually(lambda: nominate(api, sel, by_number, {"campaign": campaign}).status_code == 201)
    ok(nominate(api, sel, by_name, {"campaign": campaign}), 201)
    problem(nominate(api, sel, beyond, {"campaign": campaign}), 422, "no_basis")  # not within the seats
    problem(nominate(api, sel, beyond, {"ballot_session": "x"}), 422, "no_basis")  # wrong basis for the mode


def test_assessment_scores_feed_the_performance_component(api, suite):
    w = to_inspection(api)
    sel = w["selection"]
    ok(inspect(api, sel, w["cadres"]))
    publish(
        suite,
        "supervision",
        "assessment.ranked",
        "assessment:2024",
        {
            "period": "2024",
            "bottom": 1,
            "units": [{"unit": w["unit"], "score": 77.5, "rank": 1, "key_management": False}],
        },
    )

    def performance():
        item = ok(api.get(f"/api/v1/selections/{sel}/ranking", as_="org"))["items"][0]
        return item["components"]["performance"] == 77.5 and "performance" not in item["missing"]

    eventually(performance)


def test_pre_report_approval_lets_a_key_leadership_decision_through(api, suite):
    w = to_inspection(api, category="key_leadership", post_rank="section", cadre_rank="section")
    sel, cadre = w["selection"], w["cadres"][0]
    ok(inspect(api, sel, w["cadres"]))
    supervision(suite, "review.cleared", sel, {"review": "r-k", "cadre": cadre})
    eventually(lambda: cadre in nomination_copy(suite, sel)["reviews_cleared"])
    # without the approval nomination's copy refuses and asks supervision, whose own reviews of this
    # selection (opened by the inspection, not cleared by the event this test put on the bus) are pending
    problem(api.post(f"/api/v1/selections/{sel}/decision", decision([cadre]), as_="committee"), 422, "not_cleared")
    supervision(suite, "pre_report.approved", sel, {"pre_report": "pr-1"})
    eventually(
        lambda: api.post(f"/api/v1/selections/{sel}/decision", decision([cadre]), as_="committee").status_code == 200
    )
