"""Read your writes across services (DESIGN.md): a call that depends on another service's 2xx sees it at
once. The reviews right after the inspection, the decision right after the fourth clearing verdict or
the superior's approval, the appointment right after the notice closed or its objection was resolved,
supervision acting on a selection just opened: each asked with no wait and no retry, ten times in a row
where it is cheap, while the mixed workload of tests/faults runs beside it (so that events queue behind
other work, as in production)."""

import pytest

from tests.e2e.test_nomination_supervised import appoint, decide, reviews, reviews_now, verdicts
from tests.e2e.test_nomination_support import (
    inspect,
    make_post,
    make_unit,
    ok,
    open_selection,
    principals,
    stage,
    to_inspection,
)
from tests.faults.workload import ROLES, Workload
from tests.harness import Suite, eventually

NOTICE_SECONDS = 3
ROUNDS = 10


@pytest.fixture(scope="module")
def suite():
    running = Suite(
        NOTICE_PERIOD_SECONDS=NOTICE_SECONDS,
        REVIEW_DEADLINE_SECONDS=600,
        SUPERVISION_TICK_SECONDS=0.5,
        PUBLIC_RATE_PER_SECOND=1000,
        PUBLIC_RATE_BURST=1000,
        LOG_LEVEL="WARNING",
    ).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(suite):
    principals(suite.api)
    for role in ROLES:
        suite.api.principal(role, role)
    return suite.api


@pytest.fixture(scope="module")
def load(suite, api):
    """Two clients of the mixed workload (selections walked to the four verdicts, ballots included)."""
    workload = Workload(suite.base, dict(api.tokens), threads=2).start()
    try:
        yield workload
    finally:
        workload.stop()
    assert sum(workload.flows.values()) > 0, "the workload did not run"


def inspected(api, **kwargs):
    w = to_inspection(api, **kwargs)
    ok(inspect(api, w["selection"], w["cadres"]))
    reviews(api, w["selection"], len(w["cadres"]))  # the reviews open on supervision's side
    return w


def test_the_reviews_right_after_the_inspection(api, load):
    for _ in range(ROUNDS):
        w = to_inspection(api, nominees=2, competitive=True)
        ok(inspect(api, w["selection"], w["cadres"]))
        items = reviews_now(api, w["selection"])
        assert sorted(r["cadre"] for r in items) == sorted(w["cadres"])
        assert {r["status"] for r in items} == {"pending"}


def test_a_decision_right_after_the_fourth_clearing_verdict(api, load):
    for _ in range(ROUNDS):
        w = inspected(api)
        verdicts(api, w["selection"], w["cadres"][0])
        body = ok(decide(api, w["selection"], w["cadres"]))
        assert body["stage"] == "public_notice"


def test_a_decision_right_after_the_superiors_approval(api, load):
    for _ in range(ROUNDS):
        w = inspected(api, category="key_leadership", post_rank="section", cadre_rank="deputy_section")
        sel = w["selection"]
        verdicts(api, sel, w["cadres"][0])
        report = ok(api.post(f"/api/v1/selections/{sel}/pre-report", {}, as_="org"), 201)
        ok(api.post(f"/api/v1/pre-reports/{report['id']}/approve", {}, as_="superior"))
        assert ok(decide(api, sel, w["cadres"]))["stage"] == "public_notice"


def decided(api):
    w = inspected(api)
    verdicts(api, w["selection"], w["cadres"][0])
    ok(decide(api, w["selection"], w["cadres"]))
    return w


def notice(api, sel, status=None):
    """The selection's public notice as supervision shows it (once its decision event has opened it)."""

    def found():
        items = ok(api.get("/api/v1/notices?limit=500"))["items"]
        return next(
            (n for n in items if n["subject"] == f"selection:{sel}" and (status is None or n["status"] == status)), None
        )

    return eventually(found, timeout=NOTICE_SECONDS + 30, interval=0.05)


def test_an_appointment_right_after_the_notice_closes(api, load):
    for _ in range(3):
        sel = decided(api)["selection"]
        notice(api, sel, "closed")
        body = ok(appoint(api, sel))
        assert body["stage"] == "filing"
        assert [h["stage"] for h in body["history"]][-3:] == ["public_notice", "appointment", "filing"]


def test_an_appointment_right_after_the_last_objection_is_dismissed(api, load):
    sel = decided(api)["selection"]
    opened = notice(api, sel)
    objection = ok(api.post(f"/api/v1/notices/{opened['id']}/objections", {"content": "a question"}), 201)
    notice(api, sel, "closed")
    ok(
        api.post(
            f"/api/v1/objections/{objection['id']}/resolve", {"upheld": False, "finding": "unfounded"}, as_="discipline"
        )
    )
    assert ok(appoint(api, sel))["stage"] == "filing"


def test_an_upheld_objection_refuses_the_appointment_at_once(api, load):
    sel = decided(api)["selection"]
    opened = notice(api, sel)
    objection = ok(api.post(f"/api/v1/notices/{opened['id']}/objections", {"content": "a question"}), 201)
    notice(api, sel, "closed")
    ok(
        api.post(
            f"/api/v1/objections/{objection['id']}/resolve", {"upheld": True, "finding": "confirmed"}, as_="discipline"
        )
    )
    r = appoint(api, sel)
    assert (r.status_code, r.json()["code"]) == (422, "objection_upheld"), r.text
    eventually(lambda: stage(api, sel) == "closed", timeout=30)


def test_supervision_acts_on_a_selection_right_after_it_opened(api, load):
    for _ in range(ROUNDS):
        post = make_post(api, make_unit(api), category="key_leadership")
        sel = ok(open_selection(api, post), 201)["id"]
        ok(api.post(f"/api/v1/selections/{sel}/observer", {"name": "Observer Wang"}, as_="superior"))
        ok(api.post(f"/api/v1/selections/{sel}/pre-report", {}, as_="org"), 201)


def test_supervision_still_refuses_a_selection_nomination_does_not_hold(api):
    r = api.post("/api/v1/selections/no-such-selection/pre-report", {}, as_="org")
    assert (r.status_code, r.json()["code"]) == (404, "not_found"), r.text
