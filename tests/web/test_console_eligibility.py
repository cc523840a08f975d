"""The campaign page imports eligibility decisions from CSV in both languages, naming each rejected row."""

import html
import re

from tests.e2e.test_examination_flow import World, applicant
from tests.web.test_console_access import csrf_of, signed_in


def _send(client, suite, path, text, lang):
    page = client.get(f"{suite.base}{path}?lang={lang}", timeout=30)
    form = re.search(r'<form[^>]*id="form-eligibility-import".*?</form>', page.text, re.S).group(0)
    idem = re.search(r'name="idem" value="([^"]+)"', form).group(1)
    answer = client.post(
        f"{suite.base}{path}?lang={lang}",
        headers={"Origin": suite.base},
        timeout=60,
        data={"csrf": csrf_of(form), "idem": idem, "action": "eligibility-import", "csv": text},
    )
    return answer, html.unescape(answer.text)


def test_the_campaign_page_imports_eligibility_decisions(api, suite):
    world = World(api)
    r = world.import_csv([("P1", applicant(i)) for i in range(1, 4)])
    assert r.status_code == 200 and r.json()["imported"] == 3, r.text
    numbers = [a["exam_number"] for a in world.applications()]
    client, _ = signed_in(suite, api.tokens["org"])
    path = f"/web/console/campaigns/{world.campaign}"
    page = client.get(f"{suite.base}{path}?lang=zh_CN", timeout=30).text
    assert "导入资格审查结论（CSV）" in page and "exam_number,eligible,reason" in page
    text = (
        f"exam_number,eligible,reason\n{numbers[0]},true,\n{numbers[1]},false,fewer than two years\n"
        f"{numbers[2]},false,\n"
    )
    answer, body = _send(client, suite, path, text, "zh_CN")
    assert answer.status_code == 200 and 'data-code="ok"' in body
    assert "已审查资格：2 行；未接受：1 行。" in body
    assert re.search(r"<li>[^<]*4: \{\"reason\"", body), body[:2000]
    state = {a["exam_number"]: a["eligibility"] for a in world.applications()}
    assert state == {numbers[0]: "eligible", numbers[1]: "ineligible", numbers[2]: "pending"}
    answer, body = _send(client, suite, path, f"exam_number,eligible,reason\n{numbers[2]},true,\n", "en")
    assert 'data-code="ok"' in body and "Eligibility decided: 1 rows; rejected: 0 rows." in body
    # a header without the fields is the API's 400, shown with the field at fault
    answer, body = _send(client, suite, path, "exam_number\nX\n", "en")
    assert answer.status_code == 400 and 'data-code="invalid"' in body and "csv" in body


def test_an_uploaded_file_that_is_not_utf8_is_refused_as_the_api_refuses_it(api, suite):
    """The console hands an upload to the API's one CSV decoder: a GB18030 file is a 400, nothing decided."""
    world = World(api)
    world.import_csv([("P1", applicant(1))])
    number = world.applications()[0]["exam_number"]
    client, _ = signed_in(suite, api.tokens["org"])
    path = f"/web/console/campaigns/{world.campaign}"
    page = client.get(f"{suite.base}{path}?lang=en", timeout=30)
    form = re.search(r'<form[^>]*id="form-eligibility-import".*?</form>', page.text, re.S).group(0)
    text = f"exam_number,eligible,reason\n{number},false,学历不符\n".encode("gb18030")
    answer = client.post(
        f"{suite.base}{path}?lang=en",
        headers={"Origin": suite.base},
        timeout=60,
        data={"csrf": csrf_of(form), "idem": re.search(r'name="idem" value="([^"]+)"', form).group(1)}
        | {"action": "eligibility-import"},
        files={"file": ("decisions.csv", text, "text/csv")},
    )
    body = html.unescape(answer.text)
    assert answer.status_code == 400 and 'data-code="invalid"' in body and "UTF-8" in body, body[:2000]
    assert [a["eligibility"] for a in world.applications()] == ["pending"]
