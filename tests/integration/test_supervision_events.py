"""Supervision over a real broker and database, driven by nomination's events published directly:
its handlers, timers, HTTP endpoints and the events it sends, without nomination's side."""

import time
import uuid

import pytest

from services.common import config
from services.common.envelope import make_envelope

from tests.harness import Suite, entrypoint_runs, eventually, ran_again
from tests.integration.supervision_support import Tap, clear_all, metric, notice_of, publish, reviews, sid, wait_reviews

DEPARTMENTS = ("discipline", "audit", "family_planning", "petition")


@pytest.fixture(scope="module")
def suite():
    running = Suite(
        REVIEW_DEADLINE_SECONDS=3,
        NOTICE_PERIOD_SECONDS=3,
        FILING_DEADLINE_SECONDS=3,
        AGENDA_LEAD_SECONDS=1,
        SUPERVISION_TICK_SECONDS=0.5,
    ).start()
    for role in ("org", "committee", *DEPARTMENTS, "superior", "auditor"):
        running.api.principal(role, role)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(suite):
    return suite.api


@pytest.fixture()
def tap(suite):
    watching = Tap(suite)
    yield watching
    watching.close()


def inspected(suite, selection, cadres, key_leadership=False):
    return publish(
        suite,
        "selection.inspected",
        {
            "selection": selection,
            "post": "P1",
            "post_title": "镇长",
            "key_leadership": key_leadership,
            "nominees": [{"cadre": c, "name": f"Name {c}"} for c in cadres],
        },
    )


def decided(suite, selection, cadres, key_leadership=False):
    return publish(
        suite,
        "selection.decided",
        {
            "selection": selection,
            "post": "P1",
            "post_title": "镇长",
            "key_leadership": key_leadership,
            "appointees": [{"cadre": c, "name": f"张{c}"} for c in cadres],
            "meeting": {"held_at": "2026-01-01T00:00:00Z", "place": "room", "members": 9, "present": 8},
        },
    )


# ---- joint review


def test_inspection_opens_one_review_per_nominee_for_the_four_departments(suite, api, tap):
    selection = sid()
    inspected(suite, selection, ["C1", "C2"])
    items = wait_reviews(api, selection, 2)
    assert sorted(r["cadre"] for r in items) == ["C1", "C2"]
    for review in items:
        assert review["status"] == "pending" and review["selection"] == selection
        assert review["verdicts"] == {d: None for d in DEPARTMENTS}
    opened = tap.wait("review.opened", selection, count=2)
    assert {e["data"]["cadre"] for e in opened} == {"C1", "C2"}


def test_a_redelivered_inspection_opens_nothing_twice(suite, api):
    selection = sid()
    handled = entrypoint_runs(suite, "supervision", "on_selection_inspected")
    envelope = inspected(suite, selection, ["C1"])
    wait_reviews(api, selection, 1)
    publish(suite, "selection.inspected", None, envelope=envelope)
    inspected(suite, selection, ["C1"])  # a new envelope naming the same nominee
    ran_again(suite, "supervision", "on_selection_inspected", handled, times=3)  # all three handled
    assert len(reviews(api, selection)) == 1


def test_an_inspection_from_a_later_nomination_with_fields_added_still_opens_reviews(suite, api):
    """Loaded with nomination's schema, fields it added since are passed over; one it dropped is refused."""
    later, missing = sid(), sid()
    data = {
        "selection": later,
        "post": "P1",
        "post_title": "镇长",
        "key_leadership": False,
        "nominees": [{"cadre": "C1", "name": "Name C1", "photo": "added later"}],
        "added_later": {"any": "thing"},
    }
    envelope = make_envelope("selection.inspected", "nomination", f"selection:{later}", data, actor="org")
    publish(suite, "selection.inspected", None, envelope=envelope)
    assert [r["cadre"] for r in wait_reviews(api, later, 1)] == ["C1"]
    handled = entrypoint_runs(suite, "supervision", "on_selection_inspected")
    dropped = dict(data, selection=missing)
    del dropped["post_title"]
    envelope = make_envelope("selection.inspected", "nomination", f"selection:{missing}", dropped, actor="org")
    publish(suite, "selection.inspected", None, envelope=envelope)
    ran_again(suite, "supervision", "on_selection_inspected", handled)  # a worker counts after its effect
    assert reviews(api, missing) == []


def test_all_four_clear_is_cleared_and_announced(suite, api, tap):
    selection = sid()
    inspected(suite, selection, ["C1"])
    review = wait_reviews(api, selection, 1)[0]
    state = clear_all(api, review["id"], DEPARTMENTS[:3])
    assert state["status"] == "pending"
    state = clear_all(api, review["id"], DEPARTMENTS[3:])
    assert state["status"] == "cleared"
    # the answering department sees its own verdict; org sees all four, times in RFC 3339 UTC
    assert state["verdicts"]["petition"]["verdict"] == "clear" and state["verdicts"]["audit"] is None
    seen_by_org = reviews(api, selection)[0]["verdicts"]
    assert all(v["verdict"] == "clear" and v["at"].endswith("Z") for v in seen_by_org.values())
    cleared = tap.wait("review.cleared", selection)
    assert cleared[0]["data"] == {"review": review["id"], "selection": selection, "cadre": "C1"}
    assert reviews(api, selection)[0]["status"] == "cleared"


def test_any_veto_vetoes_with_the_department_and_reason(suite, api, tap):
    selection = sid()
    inspected(suite, selection, ["C1"])
    review = wait_reviews(api, selection, 1)[0]
    clear_all(api, review["id"], ("discipline",))
    r = api.post(
        f"/api/v1/reviews/{review['id']}/verdicts", {"verdict": "veto", "reason": "unpaid audit findings"}, as_="audit"
    )
    assert r.status_code == 200 and r.json()["status"] == "vetoed"
    clear_all(api, review["id"], ("family_planning", "petition"))
    assert reviews(api, selection)[0]["status"] == "vetoed"
    vetoed = tap.wait("review.vetoed", selection)[0]["data"]
    assert vetoed["department"] == "audit" and vetoed["reason"] == "unpaid audit findings"
    assert vetoed["cadre"] == "C1" and vetoed["review"] == review["id"]


def test_a_concealment_veto_says_concealment(suite, api, tap):
    selection = sid()
    inspected(suite, selection, ["C1"])
    review = wait_reviews(api, selection, 1)[0]
    r = api.post(
        f"/api/v1/reviews/{review['id']}/verdicts",
        {"verdict": "veto", "reason": "concealment: undeclared second home"},
        as_="discipline",
    )
    assert r.status_code == 200
    data = tap.wait("review.vetoed", selection)[0]["data"]
    assert data["reason"] == "concealment" and data["concealment"] is True


def test_verdicts_are_final_and_only_departments_give_them(suite, api):
    selection = sid()
    inspected(suite, selection, ["C1"])
    review = wait_reviews(api, selection, 1)[0]
    path = f"/api/v1/reviews/{review['id']}/verdicts"
    assert api.post(path, {"verdict": "clear", "reason": ""}, as_="petition").status_code == 200
    again = api.post(path, {"verdict": "veto", "reason": "changed my mind"}, as_="petition")
    assert again.status_code == 409 and again.json()["code"] == "already_submitted"
    assert api.post(path, {"verdict": "clear"}, as_="org").status_code == 403
    assert api.post(path, {"verdict": "clear"}, as_="superior").status_code == 403
    bad = api.post(path, {"verdict": "maybe"}, as_="audit")
    assert bad.status_code == 400 and "verdict" in bad.json()["errors"]
    no_reason = api.post(path, {"verdict": "veto"}, as_="audit")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    missing = api.post("/api/v1/reviews/ffffffffffffffffffffffff/verdicts", {"verdict": "clear"}, as_="audit")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert api.post("/api/v1/reviews/not-an-id/verdicts", {"verdict": "clear"}, as_="audit").status_code == 404


def test_a_department_sees_only_its_own_verdict_org_sees_all(suite, api):
    selection = sid()
    inspected(suite, selection, ["C1"])
    review = wait_reviews(api, selection, 1)[0]
    clear_all(api, review["id"], ("discipline", "audit"))
    as_audit = reviews(api, selection, as_="audit")[0]["verdicts"]
    assert as_audit["audit"]["verdict"] == "clear" and as_audit["discipline"] is None
    as_org = reviews(api, selection, as_="org")[0]["verdicts"]
    assert as_org["audit"]["verdict"] == as_org["discipline"]["verdict"] == "clear"
    assert as_org["petition"] is None
    assert api.get("/api/v1/reviews", as_="committee", params={"selection": selection}).status_code == 403


def test_a_review_past_its_deadline_is_overdue_never_cleared_and_escalated(suite, api, tap):
    selection = sid()
    before = metric(suite, "cadre_reviews_overdue_total")
    inspected(suite, selection, ["C1"])
    review = wait_reviews(api, selection, 1)[0]
    clear_all(api, review["id"], DEPARTMENTS[:3])  # family_planning... petition stays silent
    eventually(lambda: reviews(api, selection)[0]["status"] == "overdue", timeout=20)
    ran_again(suite, "supervision", "tick", entrypoint_runs(suite, "supervision", "tick"), times=2)
    assert reviews(api, selection)[0]["status"] == "overdue"  # silence never clears it, tick after tick
    for role in ("superior", "org"):
        r = api.get("/api/v1/reviews", as_=role, params={"status": "overdue", "limit": 500})
        assert r.status_code == 200
        assert review["id"] in [item["id"] for item in r.json()["items"]]
    overdue = tap.wait("review.overdue", selection)[0]["data"]
    assert overdue["missing"] == ["petition"]
    assert metric(suite, "cadre_reviews_overdue_total") >= before + 1
    assert not tap.events("review.cleared", selection)


def test_lists_page_with_a_cursor(suite, api):
    selection = sid()
    inspected(suite, selection, [f"C{i}" for i in range(5)])
    wait_reviews(api, selection, 5)
    seen, cursor = [], None
    while True:
        params = {"selection": selection, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/reviews", as_="org", params=params).json()
        seen += [r["cadre"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"C{i}" for i in range(5)]
    bad = api.get("/api/v1/reviews", as_="org", params={"cursor": "zzz"})
    assert bad.status_code == 400 and "cursor" in bad.json()["errors"]
    bad = api.get("/api/v1/reviews", as_="org", params={"status": "forgotten"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


# ---- pre-report and observer


def opened(suite, selection, key_leadership=True):
    publish(
        suite,
        "selection.opened",
        {
            "selection": selection,
            "post": "P1",
            "mode": "plenary_recommendation",
            "competitive": True,
            "vacancies": 1,
            "key_leadership": key_leadership,
        },
    )


def test_pre_report_is_created_once_and_approved_once_by_the_superior(suite, api, tap):
    selection = sid()
    opened(suite, selection)
    r = api.post(f"/api/v1/selections/{selection}/pre-report", {}, as_="org")
    assert r.status_code == 201, r.text
    report = r.json()["id"]
    again = api.post(f"/api/v1/selections/{selection}/pre-report", {}, as_="org")
    assert again.status_code == 409 and again.json()["code"] == "exists"
    assert api.post(f"/api/v1/pre-reports/{report}/approve", as_="org").status_code == 403
    r = api.post(f"/api/v1/pre-reports/{report}/approve", as_="superior")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    twice = api.post(f"/api/v1/pre-reports/{report}/approve", as_="superior")
    assert twice.status_code == 409 and twice.json()["code"] == "already_submitted"
    approved = tap.wait("pre_report.approved", selection)[0]["data"]
    assert approved == {"pre_report": report, "selection": selection}
    assert api.post("/api/v1/selections/no-such/pre-report", {}, as_="org").status_code == 404


def test_observer_before_decision_and_absence_recorded_for_key_leadership(suite, api, tap):
    watched, unwatched = sid(), sid()
    opened(suite, watched)
    opened(suite, unwatched)
    r = api.post(f"/api/v1/selections/{watched}/observer", {"name": "王监督"}, as_="superior")
    assert r.status_code == 200 and r.json()["name"] == "王监督"
    assert api.post(f"/api/v1/selections/{watched}/observer", {"name": "x"}, as_="org").status_code == 403
    blank = api.post(f"/api/v1/selections/{watched}/observer", {"name": ""}, as_="superior")
    assert blank.status_code == 400 and "name" in blank.json()["errors"]
    decided(suite, watched, ["C1"], key_leadership=True)
    decided(suite, unwatched, ["C2"], key_leadership=True)
    assert tap.wait("observer.absent", unwatched)[0]["data"] == {"selection": unwatched}
    late = eventually(
        lambda: (
            (r := api.post(f"/api/v1/selections/{watched}/observer", {"name": "迟到"}, as_="superior")).status_code
            == 409
            and r.json()
        )
    )
    assert late["code"] == "wrong_stage"
    pre = api.post(f"/api/v1/selections/{watched}/pre-report", {}, as_="org")
    assert pre.status_code == 409 and pre.json()["code"] == "wrong_stage"
    # the worker that would find the observer absent opens the notice after it: with the notice's event
    # here, an observer.absent of the same worker would be here before it
    tap.wait("notice.opened", watched)
    assert not tap.events("observer.absent", watched)


# ---- public notice and objections


def test_decision_opens_a_public_notice_with_names_posts_and_period(suite, api, tap):
    selection = sid()
    decided(suite, selection, ["C1", "C2"])
    notice = eventually(lambda: notice_of(api, selection))
    assert set(notice) == {"id", "subject", "title", "body", "opens_at", "closes_at", "status"}
    assert notice["subject"] == f"selection:{selection}" and notice["status"] == "open"
    assert "张C1" in notice["body"] and "张C2" in notice["body"] and "镇长" in notice["title"]
    data = tap.wait("notice.opened", selection)[0]["data"]
    assert data["notice"] == notice["id"] and data["title"] == notice["title"]
    closed = tap.wait("notice.closed", selection, timeout=20)[0]["data"]
    assert closed["outcome"] == "clear" and closed["revision"] == 1
    assert notice_of(api, selection)["status"] == "closed"


def test_objection_upheld_during_the_period_closes_upheld(suite, api, tap):
    selection = sid()
    decided(suite, selection, ["C1"])
    notice = eventually(lambda: notice_of(api, selection))
    r = api.post(f"/api/v1/notices/{notice['id']}/objections", {"content": "他在原单位有违规问题。"})
    assert r.status_code == 201 and set(r.json()) == {"id"}
    objection = r.json()["id"]
    lodged = tap.wait("objection.lodged", selection)[0]
    assert lodged["data"] == {"objection": objection, "notice": notice["id"], "selection": selection}
    listed = api.get(f"/api/v1/notices/{notice['id']}/objections", as_="discipline").json()["items"]
    assert [o["content"] for o in listed] == ["他在原单位有违规问题。"]
    assert api.get(f"/api/v1/notices/{notice['id']}/objections").status_code == 401
    assert (
        api.post(f"/api/v1/objections/{objection}/resolve", {"upheld": True, "finding": "x"}, as_="audit").status_code
        == 403
    )
    r = api.post(f"/api/v1/objections/{objection}/resolve", {"upheld": True, "finding": "属实"}, as_="discipline")
    assert r.status_code == 200 and r.json()["status"] == "upheld"
    twice = api.post(f"/api/v1/objections/{objection}/resolve", {"upheld": False, "finding": "no"}, as_="org")
    assert twice.status_code == 409 and twice.json()["code"] == "already_submitted"
    assert tap.wait("objection.resolved", selection)[0]["data"]["upheld"] is True
    closed = tap.wait("notice.closed", selection)[0]["data"]
    assert closed["outcome"] == "upheld"


def test_pending_objection_closes_pending_then_resolution_sends_a_new_revision(suite, api, tap):
    selection = sid()
    decided(suite, selection, ["C1"])
    notice = eventually(lambda: notice_of(api, selection))
    objection = api.post(f"/api/v1/notices/{notice['id']}/objections", {"content": "请核实学历"}).json()["id"]
    first = tap.wait("notice.closed", selection)[0]["data"]
    assert first["outcome"] == "pending" and first["revision"] == 1
    late = api.post(f"/api/v1/notices/{notice['id']}/objections", {"content": "too late"})
    assert late.status_code == 409 and late.json()["code"] == "session_closed"
    r = api.post(f"/api/v1/objections/{objection}/resolve", {"upheld": False, "finding": "学历属实"}, as_="org")
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    revised = tap.wait("notice.closed", selection, count=2)[-1]["data"]
    assert revised["outcome"] == "clear" and revised["revision"] == 2


def test_objection_input_is_checked_and_no_address_is_stored(suite, api):
    selection = sid()
    decided(suite, selection, ["C1"])
    notice = eventually(lambda: notice_of(api, selection))
    path = f"/api/v1/notices/{notice['id']}/objections"
    too_long = api.post(path, {"content": "x" * 4001})
    assert too_long.status_code == 400 and "content" in too_long.json()["errors"]
    assert api.post(path, {"content": "ok", "email": "a@b"}).status_code == 400
    assert api.post("/api/v1/notices/ffffffffffffffffffffffff/objections", {"content": "x"}).status_code == 404
    objection = api.post(path, {"content": "问题"}).json()["id"]
    stored = api.get(path, as_="org").json()["items"]
    assert [o["id"] for o in stored] == [objection]
    assert not any(k in stored[0] for k in ("address", "remote_addr", "ip", "client"))


# ---- filing


def test_an_appointment_owes_a_filing_listed_when_overdue_and_filed_when_recorded(suite, api):
    late, on_time = sid(), sid()
    for selection in (late, on_time):
        publish(
            suite,
            "selection.appointed",
            {
                "selection": selection,
                "post": "P1",
                "appointees": ["C1"],
                "appointed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
        )
    publish(suite, "filing.recorded", {"selection": on_time, "filed_with": "市委组织部", "reference": "备-1"})
    before = metric(suite, "cadre_filings_overdue_total")

    def overdue():
        r = api.get("/api/v1/filings", as_="superior", params={"status": "overdue", "limit": 500})
        assert r.status_code == 200
        return [f["selection"] for f in r.json()["items"]]

    eventually(lambda: late in overdue(), timeout=20)
    assert on_time not in overdue()
    assert api.get("/api/v1/filings", as_="org", params={"status": "overdue"}).status_code == 200
    assert api.get("/api/v1/filings", as_="audit").status_code == 403
    filed = api.get("/api/v1/filings", as_="org", params={"status": "filed", "limit": 500}).json()["items"]
    assert on_time in [f["selection"] for f in filed]
    assert metric(suite, "cadre_filings_overdue_total") >= before + 1


# ---- routine assessment


def test_ranking_flags_the_bottom_n_and_is_announced(suite, api, tap):
    period = f"{2000 + uuid.uuid4().int % 900}-Q2"
    scores = {"U-a": 91, "U-b": 75, "U-c": 60, "U-d": 88}
    for unit, score in scores.items():
        r = api.post("/api/v1/assessments", {"period": period, "unit": unit, "score": score}, as_="org")
        assert r.status_code == 200, r.text
    again = api.post("/api/v1/assessments", {"period": period, "unit": "U-a", "score": 1}, as_="org")
    assert again.status_code == 409 and again.json()["code"] == "exists"
    r = api.get(f"/api/v1/assessments/{period}/ranking", as_="org", params={"bottom": 2})
    assert r.status_code == 200
    items = r.json()["items"]
    assert [(i["unit"], i["key_management"]) for i in items] == [
        ("U-a", False),
        ("U-d", False),
        ("U-b", True),
        ("U-c", True),
    ]
    assert items[-1]["rectification"]["unit"] == "U-c" and items[0]["rectification"] is None
    ranked = eventually(
        lambda: [e for e in tap.drain() if e["type"] == "assessment.ranked" and e["data"]["period"] == period]
    )
    assert [u["unit"] for u in ranked[0]["data"]["units"] if u["key_management"]] == ["U-b", "U-c"]


def test_assessment_input_and_cadres_incompetent_twice_running(suite, api):
    cadre = f"C-{uuid.uuid4().hex[:8]}"
    bad = api.post("/api/v1/assessments", {"period": "2026-Q5", "unit": "U", "score": 101}, as_="org")
    assert bad.status_code == 400 and {"period", "score"} <= set(bad.json()["errors"])
    both = api.post("/api/v1/assessments", {"period": "2026", "unit": "U", "cadre": "C", "score": 50}, as_="org")
    assert both.status_code == 400 and "unit" in both.json()["errors"]
    assert api.post("/api/v1/assessments", {"period": "2026", "unit": "U", "score": 5}, as_="audit").status_code == 403
    r = api.post("/api/v1/assessments", {"period": "2025-H2", "cadre": cadre, "score": 55}, as_="org")
    assert r.status_code == 200 and r.json()["adjustment"] is None
    r = api.post("/api/v1/assessments", {"period": "2026-H1", "cadre": cadre, "score": 40}, as_="org")
    assert r.json()["adjustment"] == {"cadre": cadre, "periods": ["2025-H2", "2026-H1"], "scores": [55, 40]}
    ranking = api.get("/api/v1/assessments/2026-H1/ranking", as_="superior").json()
    assert cadre in [a["cadre"] for a in ranking["adjustments"]]
    assert api.get("/api/v1/assessments/2026-H9/ranking", as_="org").status_code == 400
    assert api.get("/api/v1/assessments/2026/ranking", as_="org", params={"bottom": -1}).status_code == 400


# ---- last: it spends this client's public allowance


def test_public_objections_are_rate_limited_per_client(suite, api):
    # the suite's public limit: the burst, and what refills while the flood runs
    burst, rate = (
        float(suite.env.get(name) or config.get(name)) for name in ("PUBLIC_RATE_BURST", "PUBLIC_RATE_PER_SECOND")
    )
    started, answers = time.monotonic(), []
    while not answers or answers[-1].status_code != 429:
        answers.append(api.post("/api/v1/notices/ffffffffffffffffffffffff/objections", {"content": "x"}))
        assert len(answers) <= 200, "never limited"
    elapsed = time.monotonic() - started
    assert {a.status_code for a in answers[:-1]} == {404}
    assert 1 <= len(answers) - 1 <= burst + rate * elapsed + 1, (
        len(answers),
        elapsed,
    )  # earlier tests here share this bucket
    assert int(answers[-1].headers["Retry-After"]) >= 1
