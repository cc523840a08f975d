"""A notice's link to its record entry verifies in the browser (only public events' entries are handed out);
routine assessment ranks units and flags the bottom N in both languages; a campaign's vendor assignment and
interview draw from its page; page requests counted in the gateway's HTTP metrics."""

import re
import uuid

import requests

from tests.e2e.test_examination_flow import _campaign_with_candidates
from tests.e2e.test_nomination_support import make_unit
from tests.e2e.test_supervision_flow import decided
from tests.harness import eventually
from tests.web.browser import until


def verdict(web):
    return until(
        lambda: (
            (not web.find("#verdict").get_attribute("hidden")) and web.find("#verdict").get_attribute("data-result")
        ),
        timeout=30,
    )


def test_a_notice_links_to_its_record_entry_which_verifies_in_the_browser(api, web):
    world = decided(api)
    notice = world["notice"]
    opened = eventually(
        lambda: [
            e
            for e in api.get(
                "/api/v1/records", as_="auditor", params={"subject": f"selection:{world['selection']}", "limit": 500}
            ).json()["items"]
            if e["matter"] == "notice opened"
        ],
        timeout=30,
    )[0]
    eventually(lambda: api.get("/api/v1/records/checkpoint").json()["size"] > opened["seq"], timeout=30)
    web.open("/web/notices?lang=zh_CN")
    article = web.find(f"#notice-{notice['id']}")
    links = web.all("a.check-link", article)
    # only the notice's own public entry: no review verdicts or other entries of the selection
    assert [a.get_attribute("data-matter") for a in links] == ["opened"]
    assert f"seq={opened['seq']}" in links[0].get_attribute("href") and "核验公示发布的记录" in links[0].text
    links[0].click()
    web.wait_ready()
    assert verdict(web) == "verified"
    web.shot("notice_record_checked_zh")
    # the same link in English
    web.open("/web/notices?lang=en")
    link = web.find(f"#notice-{notice['id']} a.check-link")
    assert "check the record of its opening" in link.text
    link.click()
    web.wait_ready()
    assert verdict(web) == "verified" and web.lang() == "en"
    web.shot("notice_record_checked_en")


def test_routine_assessment_ranks_units_and_flags_the_bottom_in_both_languages(api, web):
    period = f"{2000 + uuid.uuid4().int % 900}-Q{1 + uuid.uuid4().int % 4}"
    units = {make_unit(api): score for score in (91, 78.5, 64)}
    web.sign_in(api.tokens["org"])
    web.open("/web/console/assessments?lang=zh_CN", shot="assessments_zh")
    assert web.text("h1") == "日常考核"
    for unit, score in units.items():
        web.submit(web.find("#form-assessment"), {"period": period, "unit": unit, "score": score, "bottom": "1"})
        assert web.outcome()[0] == "ok"
    web.shot("assessments_ranked_zh")
    rows = web.all("#ranking tbody tr")
    ranked = sorted(units, key=units.get, reverse=True)
    assert [r.get_attribute("data-unit") for r in rows] == ranked
    assert [r.get_attribute("data-key-management") for r in rows] == ["false", "false", "true"]
    assert "重点管理单位" in rows[-1].text
    # a bad score is the API's refusal, naming the field
    web.driver.execute_script("document.querySelector(\"#form-assessment [name=score]\").removeAttribute('max')")
    web.submit(web.find("#form-assessment"), {"period": period, "unit": ranked[0], "score": 150})
    code, text = web.outcome()
    assert code == "invalid" and "score" in text
    # the superior views the ranking (no recording form), in English
    web.reset()
    web.sign_in(api.tokens["superior"], lang="en")
    web.open(f"/web/console/assessments?period={period}&bottom=2", shot="assessments_superior_en")
    assert web.text("h1") == "Routine assessment" and not web.all("#form-assessment")
    rows = web.all("#ranking tbody tr")
    assert [r.get_attribute("data-key-management") for r in rows] == ["false", "true", "true"]
    assert "Key management unit" in rows[-1].text


def test_the_campaign_page_assigns_a_vendor_and_draws_the_examiners(api, web):
    world = _campaign_with_candidates(api, n=4, seats=1, ratio=2)
    grader = world.vendor(["grading"])
    codes = world.blind_codes("written", as_=grader)
    assert (
        world.submit(grader, world.sheet(grader, "written", {c: 60 + i for i, c in enumerate(codes)})).status_code
        == 202
    )
    world.unseal_all("written")
    interviewers = [world.vendor(["interview"], assign=[]) for _ in range(2)]
    web.sign_in(api.tokens["org"])
    web.open(f"/web/console/campaigns/{world.campaign}?lang=zh_CN", shot="campaign_vendor_zh")
    for vendor in interviewers:
        web.submit(web.find("#form-vendor"), {"vendor": vendor, "role": "interview"})
        assert web.outcome()[0] == "ok" and vendor in web.text("#assigned") and "面试" in web.text("#assigned")
    # a vendor registered without the role is refused with the API's answer
    web.submit(web.find("#form-vendor"), {"vendor": grader, "role": "interview"})
    assert web.outcome()[0] != "ok"
    web.open(f"/web/console/campaigns/{world.campaign}?lang=en")
    web.submit(web.find("#form-interview-draw"), {"examiners": "2"}, shot="campaign_draw_en")
    assert web.outcome()[0] == "ok"
    assert sorted(web.text("#draw-examiners").split(", ")) == sorted(interviewers)
    assert sorted(web.text("#draw-order").split(", ")) == sorted(world.blind_codes("interview"))
    assert len(web.text("#draw-seed")) == 64 and "Examiners drawn" in web.text("#draw")
    # the draw is made once
    web.submit(web.find("#form-interview-draw"), {"examiners": "1"})
    assert web.outcome()[0] == "exists"


def test_page_requests_are_counted_in_the_gateways_http_metrics(suite):
    def count(endpoint):
        text = requests.get(suite.base + "/metrics", timeout=30).text
        pattern = rf'cadre_http_requests_total\{{[^}}]*endpoint="{re.escape(endpoint)}"[^}}]*\}} ([0-9.e+]+)'
        return sum(float(v) for v in re.findall(pattern, text))

    before = count("web:notices")
    assert requests.get(suite.base + "/web/notices", timeout=30).status_code == 200
    assert count("web:notices") == before + 1
    requests.get(suite.base + "/web/console/selections/some-id", allow_redirects=False, timeout=30)
    text = requests.get(suite.base + "/metrics", timeout=30).text
    assert 'endpoint="web:selection"' in text and "some-id" not in text
