"""The public pages in a real browser: a member of the public reads a notice and lodges an objection (and is
clearly refused after the period); the disclosure feed with its Atom link; results; both languages."""

import requests

from tests.e2e.test_supervision_flow import decided, notice_of
from tests.harness import eventually


def test_a_member_of_the_public_reads_a_notice_and_lodges_an_objection_then_is_refused_after_the_period(api, web):
    world = decided(api)
    notice = world["notice"]
    web.open("/web/notices", shot="notices_zh")
    assert web.lang() == "zh-CN"
    assert "公示栏" in web.text("h1")
    article = web.find(f"#notice-{notice['id']}")
    assert article.get_attribute("data-status") == "open"
    assert notice["title"] in article.text and "公示期" in article.text
    # the appointee (by name) and the post are in the notice's body
    assert f"Name {world['cadres'][0]}，拟任Head" in article.text, article.text
    web.submit(
        web.find("form.objection", article),
        {"content": "据反映，公示对象在原单位有违规问题。"},
        shot="objection_received_zh",
    )
    code, text = web.outcome()
    assert code == "ok" and "您的异议已受理" in web.text("h1")
    lodged_id = web.text("#objection-id")
    objections = api.get(f"/api/v1/notices/{notice['id']}/objections", as_="discipline").json()["items"]
    assert [o["id"] for o in objections] == [lodged_id]
    assert objections[0]["content"] == "据反映，公示对象在原单位有违规问题。"

    # a visitor who kept the page open past the period is refused clearly, with the API's code
    web.open("/web/notices")
    form = web.find(f"#notice-{notice['id']} form.objection")
    eventually(lambda: notice_of(api, world["selection"])["status"] == "closed", timeout=60)
    web.submit(form, {"content": "迟到的意见"}, shot="objection_refused_zh")
    code, text = web.outcome()
    assert code == "session_closed"
    assert "您的异议未被受理" in web.text("h1") and "期限已过" in text
    # and the board now shows it closed, without a form
    web.open("/web/notices?status=closed")
    closed = web.find(f"#notice-{notice['id']}")
    assert closed.get_attribute("data-status") == "closed"
    assert not web.all("form.objection", closed) and "公示期已满" in closed.text


def test_the_notice_board_in_english(api, web):
    web.open("/web/notices?lang=en", shot="notices_en")
    assert web.lang() == "en" and web.text("h1") == "Notice board"
    # the choice sticks for the next page
    web.open("/web/disclosures", shot="disclosures_en")
    assert web.text("h1") == "Information disclosure"


def test_an_empty_objection_is_refused_by_the_api_rule(api, web):
    world = decided(api)
    web.open("/web/notices?lang=en")
    form = web.find(f"#notice-{world['notice']['id']} form.objection")
    web.driver.execute_script("arguments[0].removeAttribute('required')", web.find("textarea", form))
    web.submit(form, shot="objection_invalid_en")
    code, text = web.outcome()
    assert code == "invalid" and "content" in text


def test_disclosures_as_pages_with_the_atom_feed_linked(api, web):
    web.open("/web/disclosures", shot="disclosures_zh")
    assert web.text("h1") == "信息公开"
    link = web.find("#atom-link")
    assert link.get_attribute("href").endswith("/api/v1/disclosures.atom")
    alternate = web.find("link[rel=alternate]")
    assert alternate.get_attribute("type") == "application/atom+xml"
    feed = requests.get(link.get_attribute("href"), timeout=30)
    assert feed.status_code == 200 and "<feed" in feed.text
    # the policies are always there; announcements of the selections opened by the tests too
    assert web.all("article.policy")
    eventually(lambda: web.open("/web/disclosures").all("article.announcement"), timeout=30)


def test_results_page_and_every_public_page_in_both_languages(api, web):
    pages = {
        "/": ("干部选拔任用", "Cadre selection and appointment"),
        "/web/notices": ("公示栏", "Notice board"),
        "/web/disclosures": ("信息公开", "Information disclosure"),
        "/web/results": ("公开选拔结果", "Public selection results"),
        "/web/check": ("记实核验", "Check a record"),
        "/web/ballot": ("无记名投票", "Cast a secret ballot"),
        "/web/login": ("部门登录", "Department sign-in"),
    }
    for path, (zh, en) in pages.items():
        name = path.strip("/").replace("web/", "").replace("/", "_") or "home"
        web.open(path + "?lang=zh_CN", shot=f"{name}_zh")
        assert web.lang() == "zh-CN" and web.text("h1") == zh, path
        web.open(path + "?lang=en", shot=f"{name}_en")
        assert web.lang() == "en" and web.text("h1") == en, path


def test_the_language_follows_accept_language_and_defaults_to_chinese(suite):
    chinese = requests.get(suite.base + "/web/notices", timeout=30)
    assert chinese.headers["Content-Language"] == "zh-CN" and "公示栏" in chinese.text
    english = requests.get(suite.base + "/web/notices", headers={"Accept-Language": "en-GB,en;q=0.8"}, timeout=30)
    assert english.headers["Content-Language"] == "en" and "Notice board" in english.text
    asked = requests.get(suite.base + "/web/notices?lang=en", headers={"Accept-Language": "zh-CN"}, timeout=30)
    assert "Notice board" in asked.text
