"""The campaign page imports eligibility decisions from CSV in both languages, naming each rejected row."""
from tests.e2e.test_examination_flow import World, applicant


def test_the_campaign_page_imports_eligibility_decisions(api, web):
    world = World(api)
    r = world.import_csv([("P1", applicant(i)) for i in range(1, 4)])
    assert r.status_code == 200 and r.json()["imported"] == 3, r.text
    numbers = [a["exam_number"] for a in world.applications()]
    web.sign_in(api.tokens["org"])
    web.open(f"/web/console/campaigns/{world.campaign}?lang=zh_CN", shot="campaign_eligibility_zh")
    assert "导入资格审查结论" in web.text("#form-eligibility-import")
    text = (f"exam_number,eligible,reason\n{numbers[0]},true,\n{numbers[1]},false,fewer than two years\n"
            f"{numbers[2]},false,\n")
    web.submit(web.find("#form-eligibility-import"), {"csv": text}, shot="campaign_eligibility_done_zh")
    assert web.outcome()[0] == "ok"
    assert "已审查资格：2 行；未接受：1 行。" in web.text("#eligibility-imported")
    assert "4" in web.text("#outcome .errors") and "reason" in web.text("#outcome .errors")
    state = {a["exam_number"]: a["eligibility"] for a in world.applications()}
    assert state == {numbers[0]: "eligible", numbers[1]: "ineligible", numbers[2]: "pending"}
    web.open(f"/web/console/campaigns/{world.campaign}?lang=en")
    web.submit(web.find("#form-eligibility-import"), {"csv": f"exam_number,eligible,reason\n{numbers[2]},true,\n"})
    assert web.outcome()[0] == "ok" and "Eligibility decided: 1 rows; rejected: 0 rows." in web.text("#outcome")
    # a header without the fields is the API's 400, shown with the field at fault
    web.submit(web.find("#form-eligibility-import"), {"csv": "exam_number\nX\n"})
    assert web.outcome()[0] == "invalid" and "csv" in web.text("#outcome")
