"""The rest of the console in a real browser: a public-selection campaign (key shares once, CSV import with its
in-progress state, eligibility), an officer's unseal refused before its time, the auditor's printable dossier
whose entries check out."""

import uuid

from tests.e2e.test_nomination_support import make_post, make_unit, ok, open_selection
from tests.harness import eventually
from tests.web.browser import until


def id_number(body17):
    """A well-formed resident ID number (GB 11643 check digit)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights)) % 11]


def test_org_opens_a_campaign_imports_applications_and_decides_eligibility(api, web):
    campaign = f"K-{uuid.uuid4().hex[:8]}"
    web.sign_in(api.tokens["org"])
    web.open("/web/console/campaigns", shot="campaigns_zh")
    web.submit(
        web.find("#form-campaign"),
        {
            "code": campaign,
            "title": "2026年公开选拔副科级干部",
            "posts": "KP1,科技局副局长,1",
            "officers": "officer",
            "threshold": "1",
        },
        shot="campaign_key_shares_zh",
    )
    assert web.outcome()[0] == "ok"
    shares = [s.text for s in web.all(".share")]
    assert len(shares) == 1 and shares[0]
    web.open(f"/web/console/campaigns/{campaign}")
    rows = (
        "post,id_number,name,birth_date,education\n"
        f"KP1,{id_number('11010119900101123')},张三,1990-01-01,本科\n"
        f"KP1,{id_number('11010119920202123')},李四,1992-02-02,硕士\n"
        f"NOPE,{id_number('11010119930303123')},王五,1993-03-03,本科\n"
    )
    form = web.find("#form-import")
    web.fill(form, {"csv": rows})
    assert web.show_progress_then_send(form, shot="campaign_import_in_progress_zh")
    code, text = web.outcome()
    assert code == "ok" and "已导入 2 行；未通过 1 行" in text
    assert "110101" not in web.text("body")  # ID numbers are never shown back
    web.shot("campaign_imported_zh")
    web.submit(web.find("#applications form.eligibility"), {"eligible": "yes"})
    assert web.outcome()[0] == "ok"
    assert web.text("#applications").count("合格") >= 1
    # before the written unseal there are no results: the API's wrong_stage, said plainly
    state = web.find("#results-state")
    assert state.get_attribute("data-code") == "wrong_stage" and "笔试成绩启封前" in state.text


def test_an_officer_unseal_before_its_time_is_refused_with_progress_shown(api, web):
    campaign = f"K-{uuid.uuid4().hex[:8]}"
    created = ok(
        api.post(
            "/api/v1/campaigns",
            {
                "code": campaign,
                "title": "公开选拔",
                "posts": [{"code": "KP1", "title": "副局长", "seats": 1}],
                "weights": {"written": 0.6, "interview": 0.4},
                "interview_ratio": 3,
                "unseal": {"not_before": "2999-01-01T00:00:00+08:00", "threshold": 1, "officers": ["officer"]},
            },
            as_="org",
        ),
        201,
    )
    web.sign_in(api.tokens["officer"], lang="en")
    assert web.text("nav.console-menu") == "Unseal"
    web.open("/web/console/unseal", shot="unseal_en")
    form = web.find("#form-unseal")
    web.fill(form, {"campaign": campaign, "stage": "written", "share": created["key_shares"][0]["share"]})
    assert web.show_progress_then_send(form, shot="unseal_in_progress_en")
    code, text = web.outcome()
    assert code == "too_early" and "Too early" in text
    web.shot("unseal_too_early_en")


def test_the_auditor_prints_a_dossier_whose_entries_check_out(api, web):
    unit = make_unit(api)
    post = make_post(api, unit)
    sel = ok(open_selection(api, post), 201)["id"]
    eventually(lambda: api.get(f"/api/v1/selections/{sel}/dossier", as_="auditor").status_code == 200, timeout=30)
    web.sign_in(api.tokens["auditor"])
    web.open("/web/console/dossier")
    form = web.find("#form-dossier")
    web.fill(form, {"selection": sel})
    assert web.show_progress_then_send(form)
    web.shot("dossier_zh")
    assert web.all("#dossier tbody tr") and web.all("button.print")
    web.find("#dossier tbody tr a").click()
    web.wait_ready()
    assert until(lambda: web.find("#verdict").get_attribute("data-result"), timeout=30) == "verified"
    web.shot("dossier_entry_checked_zh")
