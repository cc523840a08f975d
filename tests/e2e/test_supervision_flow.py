"""Supervision end to end through the gateway, in the real flow: nomination's selection walked to
inspection → supervision's joint reviews → the committee's decision → supervision's public notice →
appointment → filing. Every test here except the ranking one depends on nomination's side (its
endpoints and its consumption of review.*, pre_report.approved, notice.* events).

Durations are shortened (3 s) so the overdue, notice and filing timers act within a test."""

import uuid

import pytest

from tests.e2e.test_nomination_support import decision, inspect, ok, principals, problem, stage, to_inspection
from tests.harness import Suite, entrypoint_runs, eventually, ran_again

DEPARTMENTS = ("discipline", "audit", "family_planning", "petition")


@pytest.fixture(scope="module")
def suite():
    running = Suite(
        REVIEW_DEADLINE_SECONDS=3, NOTICE_PERIOD_SECONDS=3, FILING_DEADLINE_SECONDS=3, AGENDA_LEAD_SECONDS=1
    ).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(suite):
    return principals(suite.api)


def reviews_of(api, sel, count, as_="org"):
    def check():
        items = ok(api.get("/api/v1/reviews", as_=as_, params={"selection": sel}))["items"]
        return len(items) >= count and items

    return eventually(check, timeout=30)


def verdict(api, review, department, value="clear", reason="no findings"):
    return api.post(f"/api/v1/reviews/{review}/verdicts", {"verdict": value, "reason": reason}, as_=department)


def inspected(api, **kwargs):
    world = to_inspection(api, **kwargs)
    ok(inspect(api, world["selection"], world["cadres"]))
    world["reviews"] = {r["cadre"]: r["id"] for r in reviews_of(api, world["selection"], len(world["cadres"]))}
    return world


def cleared(api, **kwargs):
    """A selection whose every nominee's review is cleared, as nomination has learnt."""
    world = inspected(api, **kwargs)
    for review in world["reviews"].values():
        for department in DEPARTMENTS:
            ok(verdict(api, review, department))
    return world


def decide(api, sel, appointees):
    return api.post(f"/api/v1/selections/{sel}/decision", decision(appointees), as_="committee")


def decided(api, **kwargs):
    """Cleared, then decided by the committee (retrying while review.cleared is on its way to nomination)."""
    world = cleared(api, **kwargs)
    sel = world["selection"]

    def attempt():
        r = decide(api, sel, world["cadres"])
        if r.status_code == 422 and r.json()["code"] == "not_cleared":
            return False
        return ok(r)

    eventually(attempt, timeout=30, interval=0.5)
    world["notice"] = eventually(lambda: notice_of(api, sel), timeout=30)
    return world


def nomination_copy(suite, sel):
    """Nomination's copy of supervision's state for a selection (from its events), as its database holds it."""
    import pymongo

    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/")
    try:
        return client.nomination.selections.find_one({"_id": sel}) or {}
    finally:
        client.close()


def notice_of(api, sel):
    items = ok(api.get("/api/v1/notices", params={"selection": sel}))["items"]
    return items[0] if items else None


def appoint(api, sel):
    return api.post(f"/api/v1/selections/{sel}/appointment", as_="org")


def objection(api, notice, content="公示对象在原单位有违纪问题"):
    return ok(api.post(f"/api/v1/notices/{notice}/objections", {"content": content}), 201)["id"]


def resolve(api, objection_id, upheld, as_="discipline"):
    return api.post(
        f"/api/v1/objections/{objection_id}/resolve",
        {"upheld": upheld, "finding": "核查属实" if upheld else "经核查不属实"},
        as_=as_,
    )


def wait_closed(api, sel):
    eventually(lambda: notice_of(api, sel)["status"] == "closed", timeout=30)


# ---- joint review


def test_inspection_opens_a_joint_review_per_nominee_for_the_four_departments(api):
    world = inspected(api, nominees=2, competitive=True)
    items = ok(api.get("/api/v1/reviews", as_="discipline", params={"selection": world["selection"]}))["items"]
    assert sorted(r["cadre"] for r in items) == sorted(world["cadres"])
    assert all(r["status"] == "pending" and set(r["verdicts"]) == set(DEPARTMENTS) for r in items)
    assert stage(api, world["selection"]) == "joint_review"


def test_a_veto_blocks_the_decision_and_so_the_appointment(api, suite):
    world = inspected(api)
    sel, cadre = world["selection"], world["cadres"][0]
    review = world["reviews"][cadre]
    for department in ("discipline", "family_planning", "petition"):
        ok(verdict(api, review, department))
    state = ok(verdict(api, review, "audit", "veto", "离任审计发现重大问题"))
    assert state["status"] == "vetoed"
    problem(verdict(api, review, "audit"), 409, "already_submitted")
    # nomination has learnt of the veto, so its own copy refuses (not only supervision when asked)
    eventually(lambda: cadre in nomination_copy(suite, sel).get("reviews_vetoed", []), timeout=30)
    problem(decide(api, sel, [cadre]), 422, "not_cleared")
    problem(appoint(api, sel), 422, "out_of_order")


def test_a_concealment_veto_voids_the_nomination(api):
    world = inspected(api)
    sel, cadre = world["selection"], world["cadres"][0]
    ok(verdict(api, world["reviews"][cadre], "discipline", "veto", "concealment"))

    def voided():
        nominees = ok(api.get(f"/api/v1/selections/{sel}", as_="org"))["nominees"]
        return [n for n in nominees if n["cadre"] == cadre and n["status"] == "voided"]

    eventually(voided, timeout=30)
    problem(decide(api, sel, [cadre]), 422, "not_cleared")


def test_an_overdue_review_stays_uncleared_and_is_escalated(api, suite):
    world = inspected(api)
    sel, cadre = world["selection"], world["cadres"][0]
    review = world["reviews"][cadre]
    for department in ("discipline", "audit", "family_planning"):  # petition stays silent
        ok(verdict(api, review, department))

    def listed(role):
        items = ok(api.get("/api/v1/reviews", as_=role, params={"status": "overdue", "limit": 500}))["items"]
        return [r for r in items if r["id"] == review]

    found = eventually(lambda: listed("superior"), timeout=30)
    assert found[0]["status"] == "overdue" and found[0]["verdicts"]["petition"] is None
    assert listed("org")
    # supervision's timer, the only thing acting on a silent review, has looked at it again since
    ran_again(suite, "supervision", "tick", entrypoint_runs(suite, "supervision", "tick"), times=2)
    problem(decide(api, sel, [cadre]), 422, "not_cleared")  # silence never clears


# ---- decision, notice, appointment, filing


def test_clean_flow_notice_closes_clear_appointment_then_filing_overdue_is_listed(api):
    world = decided(api)
    sel, notice = world["selection"], world["notice"]
    assert notice["subject"] == f"selection:{sel}" and notice["status"] == "open"
    assert set(notice) == {"id", "subject", "title", "body", "opens_at", "closes_at", "status"}
    problem(appoint(api, sel), 409, "too_early")
    wait_closed(api, sel)
    eventually(lambda: appoint(api, sel).status_code == 200, timeout=30, interval=0.5)

    def overdue():
        items = ok(api.get("/api/v1/filings", as_="superior", params={"status": "overdue", "limit": 500}))["items"]
        return [f for f in items if f["selection"] == sel]

    found = eventually(overdue, timeout=30)
    assert found[0]["status"] == "overdue" and found[0]["filed_with"] is None
    ok(
        api.post(
            f"/api/v1/selections/{sel}/filing", {"filed_with": "市委组织部", "reference": "备字〔2026〕1号"}, as_="org"
        )
    )

    def filed():
        items = ok(api.get("/api/v1/filings", as_="org", params={"status": "filed", "limit": 500}))["items"]
        return [f for f in items if f["selection"] == sel]

    assert eventually(filed, timeout=30)[0]["late"] is True


def test_an_upheld_objection_blocks_the_appointment(api):
    world = decided(api)
    sel = world["selection"]
    lodged = objection(api, world["notice"]["id"])
    ok(resolve(api, lodged, True))
    wait_closed(api, sel)
    eventually(lambda: appoint(api, sel).status_code == 422, timeout=30, interval=0.5)
    problem(appoint(api, sel), 422, "objection_upheld")


def test_a_pending_objection_holds_the_appointment_until_resolved(api):
    world = decided(api)
    sel = world["selection"]
    lodged = objection(api, world["notice"]["id"], "请核实其学历")
    wait_closed(api, sel)
    eventually(lambda: appoint(api, sel).status_code == 422, timeout=30, interval=0.5)
    problem(appoint(api, sel), 422, "objection_pending")
    ok(resolve(api, lodged, False, as_="org"))
    eventually(lambda: appoint(api, sel).status_code == 200, timeout=30, interval=0.5)


def test_a_late_objection_is_refused(api):
    world = decided(api)
    wait_closed(api, world["selection"])
    r = api.post(f"/api/v1/notices/{world['notice']['id']}/objections", {"content": "迟到的意见"})
    problem(r, 409, "session_closed")


# ---- pre-report and observer for a key-leadership post


def test_key_leadership_needs_an_approved_pre_report_and_a_missing_observer_is_recorded(api, suite):
    world = cleared(api, category="key_leadership", post_rank="section", cadre_rank="deputy_section")
    sel = world["selection"]
    # nomination has every review.cleared, so the refusal below is the pre-report rule on its own copy
    eventually(lambda: set(world["cadres"]) <= set(nomination_copy(suite, sel).get("reviews_cleared", [])), timeout=30)
    problem(decide(api, sel, world["cadres"]), 422, "pre_report_required")
    report = ok(api.post(f"/api/v1/selections/{sel}/pre-report", {}, as_="org"), 201)["id"]
    ok(api.post(f"/api/v1/pre-reports/{report}/approve", as_="superior"))

    def attempt():
        r = decide(api, sel, world["cadres"])
        return r.status_code == 200 or (r.json()["code"] != "pre_report_required" and r.json())

    assert eventually(attempt, timeout=30, interval=0.5) is True
    # once supervision has learnt of the decision, naming an observer is too late
    eventually(
        lambda: api.post(f"/api/v1/selections/{sel}/observer", {"name": "赵列席"}, as_="superior").status_code == 409,
        timeout=30,
    )
    problem(api.post(f"/api/v1/selections/{sel}/observer", {"name": "赵列席"}, as_="superior"), 409, "wrong_stage")


def test_observer_named_before_the_decision(api):
    world = cleared(api, category="key_leadership")
    sel = world["selection"]
    r = api.post(f"/api/v1/selections/{sel}/observer", {"name": "钱列席"}, as_="superior")
    assert ok(r)["name"] == "钱列席"


# ---- routine assessment (no nomination dependency)


def test_bottom_n_units_of_a_period_are_key_management(api):
    period = f"{2100 + uuid.uuid4().int % 800}-H1"
    for unit, score in {"U-east": 92.5, "U-west": 61, "U-north": 77, "U-south": 58}.items():
        ok(api.post("/api/v1/assessments", {"period": period, "unit": unit, "score": score}, as_="org"))
    ranking = ok(api.get(f"/api/v1/assessments/{period}/ranking", as_="superior", params={"bottom": 2}))
    assert [(i["unit"], i["rank"], i["key_management"]) for i in ranking["items"]] == [
        ("U-east", 1, False),
        ("U-north", 2, False),
        ("U-west", 3, True),
        ("U-south", 4, True),
    ]
    assert "重点管理单位" in ranking["items"][-1]["rectification"]["title"]
    assert api.get(f"/api/v1/assessments/{period}/ranking", as_="audit").status_code == 403
