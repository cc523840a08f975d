"""The department console in a real browser: org walks a selection from motion to appointment (and filing);
the four review departments clear the joint review; the committee decides; refusals are the API's."""

from tests.e2e.test_nomination_support import code, ok
from tests.harness import eventually
from tests.web.browser import until

DEPARTMENTS = ("discipline", "audit", "family_planning", "petition")


def stage_of(web):
    return web.find("#stage").get_attribute("data-stage")


def act(web, action, values=None, shot=None):
    """Send one of the selection page's next-step forms; returns the outcome (code, text)."""
    web.submit(web.find(f"#form-{action}"), values, shot=shot)
    return web.outcome()


def test_org_walks_a_selection_from_motion_to_appointment_through_the_console(api, web):
    unit, post, cadre = code("U"), code("P"), code("C")
    web.sign_in(api.tokens["org"])
    web.shot("console_org_zh")
    assert "选任事项" in web.text("nav.console-menu") and "联审" in web.text("nav.console-menu")

    # units, posts and cadres
    web.open("/web/console/registry", shot="registry_zh")
    web.submit(web.find("#form-unit"), {"code": unit, "name": "青山镇"})
    assert web.outcome()[0] == "ok"
    web.submit(
        web.find("#form-post"),
        {"code": post, "unit": unit, "title": "副镇长", "rank": "section", "category": "promotion", "headcount": "2"},
    )
    assert web.outcome()[0] == "ok"
    # a CSV import shows its in-progress state while it runs, then the counts
    rows = (
        "code,name,unit,rank,grassroots_years\n"
        + f"{cadre},李明,{unit},deputy_section,5\n"
        + f"{code('C')},王芳,NO-SUCH-UNIT,deputy_section,3\n"
    )
    form = web.find("#form-cadres-import")
    web.fill(form, {"csv": rows})
    assert web.show_progress_then_send(form, shot="registry_import_in_progress_zh")
    web.shot("registry_import_done_zh")
    assert web.outcome()[0] == "ok" and "已导入 1 行；未通过 1 行" in web.outcome()[1]

    # motion
    web.open("/web/console/selections", shot="selections_zh")
    web.submit(
        web.find("#form-open-selection"),
        {"post": post, "vacancies": "1", "proposed_by": "王书记", "reason": "原副镇长退休"},
    )
    assert stage_of(web) == "motion"
    sel = web.text("#selection-id")
    web.shot("selection_motion_zh")
    # qualification, consultations
    assert act(web, "qualification", {"min_rank": "clerk", "min_grassroots_years": "2", "scope": unit})[0] == "ok"
    assert stage_of(web) == "qualification"
    assert act(web, "consultation", {"source": "leader_in_charge", "opinion": "同意"})[0] == "ok"
    assert act(web, "consultation", {"source": "grassroots", "opinion": "同意"})[0] == "ok"
    assert stage_of(web) == "recommendation"

    # a secret ballot: printable slips, voters on the ballot page, then close and count
    web.submit(
        web.find("#form-ballot-session"),
        {"kind": "democratic", "electorate": "2", "seats": "1", "candidates": cadre},
        shot="ballot_slips_zh",
    )
    session = web.text("#session-id")
    tokens = [t.text for t in web.all("#slips .token")]
    assert len(tokens) == 2
    for token in tokens:
        web.open("/web/ballot")
        web.submit(web.find("#token-form"), {"token": token})
        web.submit(web.find("#ballot-form"), {"choice": True})  # the one candidate, ticked by name
        assert web.outcome()[0] == "ok"
    web.open(f"/web/console/selections/{sel}")
    until(lambda: web.open(f"/web/console/selections/{sel}").all("button.close-session"), timeout=30)
    web.submit(web.find("button.close-session").find_element("xpath", "./.."), shot="ballot_closed_zh")
    code_, text = web.outcome()
    assert code_ == "ok" and "达到法定人数：是" in text

    # a nomination refused by a discipline shows which one
    refused = act(
        web,
        "nomination",
        {"cadre": cadre, "basis_kind": "ballot_session", "basis": session, "personal_matters_reported": False},
        shot="nomination_refused_zh",
    )
    assert refused[0] == "concealment" and "未报告个人有关事项" in refused[1]
    assert (
        act(
            web,
            "nomination",
            {"cadre": cadre, "basis_kind": "ballot_session", "basis": session, "personal_matters_reported": True},
        )[0]
        == "ok"
    )
    assert (
        act(web, "deliberation", {"place": "三楼会议室", "attendees": "9", "present": "7", "nominees": cadre})[0]
        == "ok"
    )
    assert stage_of(web) == "inspection"
    assert act(web, "inspection", {"reports": f"{cadre},86,德才兼备，实绩突出"})[0] == "ok"
    assert stage_of(web) == "joint_review"
    web.shot("selection_joint_review_zh")
    web.open(f"/web/console/selections/{sel}/ranking", shot="ranking_zh")
    assert f"李明 ({cadre})" in web.text("#ranking")  # the nominee by name, from the selection
    web.sign_out()

    # the four departments each clear the review from their own console
    for department in DEPARTMENTS:
        web.sign_in(api.tokens[department])
        menu = web.text("nav.console-menu")
        assert "联审" in menu and "选任事项" not in menu  # a department sees only what its token allows
        until(lambda: web.open("/web/console/reviews").find("#reviews tr.pending form.verdict"), timeout=60)
        rows = [r for r in web.all("#reviews tbody tr") if sel in r.text]
        assert rows, web.text("#reviews")
        # a department reads its reviews' cadres by code: API.md gives it no names to read
        assert cadre in rows[0].text and "李明" not in web.text("#reviews")
        web.submit(
            web.find("form.verdict", rows[0]),
            {"verdict": "clear", "reason": "未发现问题"},
            shot=f"review_{department}_zh",
        )
        assert web.outcome()[0] == "ok"
        web.sign_out()
    assert eventually(
        lambda: (
            api.get("/api/v1/reviews", as_="org", params={"selection": sel}).json()["items"][0]["status"] == "cleared"
        ),
        timeout=30,
    )

    # the committee decides (retrying while review.cleared travels to nomination)
    web.sign_in(api.tokens["committee"])

    def decide():
        web.open(f"/web/console/decisions?selection={sel}")
        web.submit(
            web.find("#form-decision"), {"place": "常委会议室", "members": "11", "present": "9", "appointees": cadre}
        )
        found = web.outcome()[0]
        return found if found != "not_cleared" else None

    assert until(decide, timeout=60, interval=1) == "ok"
    web.shot("decision_zh")
    web.sign_out()

    # org: too early while the notice is open (the API's refusal), then the appointment, then the filing
    web.sign_in(api.tokens["org"], lang="en")
    until(lambda: web.open(f"/web/console/selections/{sel}") and stage_of(web) == "public_notice", timeout=60)
    assert act(web, "appointment", shot="appointment_too_early_en")[0] == "too_early"
    assert "Too early" in web.outcome()[1]

    def appoint():
        web.open(f"/web/console/selections/{sel}")
        if not web.all("#form-appointment"):
            return None
        return act(web, "appointment")[0] == "ok"

    assert until(appoint, timeout=90, interval=2)
    assert stage_of(web) == "filing"
    web.shot("selection_appointed_en")
    post_books = ok(api.get(f"/api/v1/posts/{post}", as_="org"))
    assert post_books["occupied"] == 1 and post_books["reserved"] == 0
    assert act(web, "filing", {"filed_with": "市委组织部", "reference": "备字〔2026〕7号"})[0] == "ok"
    assert stage_of(web) == "closed"
    history = web.text("#history")
    assert "Motion" in history and "Appointment" in history and "Closed" in history
    web.shot("selection_closed_en")
