"""Sign-in, sessions and what each role sees: HttpOnly SameSite=Strict session cookie without the token, CSRF
and Origin checks on every form, menus and pages from the one authorization table, each console page in both
languages."""

import re

import requests

BASE_PAGES = {
    "org": [
        "/web/console/selections",
        "/web/console/registry",
        "/web/console/campaigns",
        "/web/console/assessments",
        "/web/console/reviews",
        "/web/console/oversight",
        "/web/console/objections",
        "/web/console/records",
        "/web/console/dossier",
    ],
    "committee": ["/web/console/decisions", "/web/console/records"],
    "discipline": ["/web/console/reviews", "/web/console/objections"],
    "superior": [
        "/web/console/assessments",
        "/web/console/oversight",
        "/web/console/reviews",
        "/web/console/records",
        "/web/console/dossier",
    ],
    "officer": ["/web/console/unseal"],
    "auditor": ["/web/console/records", "/web/console/dossier"],
}
ALL_PAGES = sorted({page for pages in BASE_PAGES.values() for page in pages})


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def signed_in(suite, token):
    client = requests.Session()
    page = client.get(suite.base + "/web/login", timeout=30)
    answer = client.post(
        suite.base + "/web/login",
        data={"csrf": csrf_of(page.text), "token": token},
        headers={"Origin": suite.base},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303, answer.text
    return client, answer


def test_the_session_cookie_is_httponly_samesite_strict_and_never_the_token(api, suite):
    token = api.tokens["org"]
    client, answer = signed_in(suite, token)
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("cadre_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert token not in cookie and all(token not in c.value for c in client.cookies)
    console = client.get(suite.base + "/web/console", timeout=30)
    assert console.status_code == 200 and console.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in console.headers["Content-Security-Policy"]
    # signing out ends the session on the server
    client.post(suite.base + "/web/logout", data={"csrf": csrf_of(console.text)}, timeout=30)
    assert client.get(suite.base + "/web/console", allow_redirects=False, timeout=30).status_code == 303


def test_a_wrong_token_is_refused_at_sign_in(suite):
    client = requests.Session()
    page = client.get(suite.base + "/web/login?lang=en", timeout=30)
    answer = client.post(
        suite.base + "/web/login", data={"csrf": csrf_of(page.text), "token": "not-a-token"}, timeout=30
    )
    assert answer.status_code == 401 and "unknown token" in answer.text


def test_forms_without_the_csrf_token_or_from_another_origin_are_refused(api, suite):
    client, _ = signed_in(suite, api.tokens["org"])
    page = client.get(suite.base + "/web/console/registry", timeout=30)
    body = {"action": "unit", "code": "U-csrf", "name": "x"}
    missing = client.post(suite.base + "/web/console/registry", data=body, timeout=30)
    assert missing.status_code == 403 and 'data-code="csrf"' in missing.text
    foreign = client.post(
        suite.base + "/web/console/registry",
        data=dict(body, csrf=csrf_of(page.text)),
        headers={"Origin": "https://evil.example"},
        timeout=30,
    )
    assert foreign.status_code == 403 and 'data-code="csrf"' in foreign.text
    # the public objection form is protected too (the visitor's own double-submit cookie)
    visitor = requests.post(suite.base + "/web/notices/x/objection", data={"content": "x"}, timeout=30)
    assert visitor.status_code == 403
    assert api.get("/api/v1/posts/U-csrf", as_="org").status_code == 404  # nothing happened


def test_each_role_sees_only_what_its_token_allows(api, suite):
    for role, pages in BASE_PAGES.items():
        client, _ = signed_in(suite, api.tokens[role])
        console = client.get(suite.base + "/web/console", timeout=30).text
        menu = set(re.findall(r'<nav class="console-menu[^"]*">(.*?)</nav>', console, re.S)[0].split('href="')[1:])
        linked = {item.split('"')[0] for item in menu}
        assert linked == set(pages), (role, linked)
        for page in ALL_PAGES:
            status = client.get(suite.base + page, timeout=30).status_code
            assert status == (200 if page in pages else 403), (role, page, status)


def test_console_pages_in_both_languages(api, web):
    headings = {
        "/web/console/selections": ("选任事项", "Selections"),
        "/web/console/registry": ("单位、岗位和干部", "Units, posts and cadres"),
        "/web/console/campaigns": ("公开选拔", "Public selection campaigns"),
        "/web/console/assessments": ("日常考核", "Routine assessment"),
        "/web/console/reviews": ("联审", "Joint reviews"),
        "/web/console/oversight": ("监督", "Oversight"),
        "/web/console/objections": ("公示异议处理", "Objections to public notices"),
        "/web/console/records": ("全程记实", "The full-process record"),
        "/web/console/dossier": ("选任事项记实档案", "Dossier of a selection"),
        "/web/console/decisions": ("常委会讨论决定", "Decisions of the standing committee"),
        "/web/console/unseal": ("启封成绩单", "Unseal the score sheets"),
    }
    owner = {"/web/console/decisions": "committee", "/web/console/unseal": "officer"}
    current = None
    for path, (zh, en) in headings.items():
        role = owner.get(path, "org")
        if role != current:
            web.reset()
            web.sign_in(api.tokens[role])
            current = role
        name = "console_" + path.rsplit("/", 1)[1]
        web.open(path + "?lang=zh_CN", shot=f"{name}_zh")
        assert web.lang() == "zh-CN" and web.text("h1") == zh, path
        web.open(path + "?lang=en", shot=f"{name}_en")
        assert web.lang() == "en" and web.text("h1") == en, path
