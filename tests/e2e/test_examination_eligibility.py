"""Eligibility decided from CSV through the gateway (API.md `POST /campaigns/{code}/eligibility/import`)."""

from tests.e2e.test_examination_flow import World, applicant


def _import(api, world, text, as_="org"):
    return api.request(
        "POST", world.path("/eligibility/import"), as_=as_, data=text.encode(), headers={"Content-Type": "text/csv"}
    )


def test_good_rows_are_applied_and_each_bad_row_is_named(api):
    world = World(api)
    r = world.import_csv([("P1", applicant(i)) for i in range(1, 5)])
    assert r.status_code == 200 and r.json()["imported"] == 4, r.text
    numbers = [a["exam_number"] for a in world.applications()]
    text = (
        "exam_number,eligible,reason\n"
        f"{numbers[0]},true,\n"
        f"{numbers[1]},false,fewer than two years at grassroots level\n"
        f"{numbers[2]},maybe,\n"
        f"{numbers[3]},false,\n"
        "NO-SUCH-NUMBER,true,\n"
        f"{numbers[0]},false,changed my mind\n"
    )
    r = _import(api, world, text)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["updated"] == 2
    assert [(x["row"], sorted(x["errors"])) for x in body["rejected"]] == [
        (4, ["eligible"]),
        (5, ["reason"]),
        (6, ["exam_number"]),
        (7, ["exam_number"]),
    ]
    state = {a["exam_number"]: a["eligibility"] for a in world.applications()}
    assert state == {numbers[0]: "eligible", numbers[1]: "ineligible", numbers[2]: "pending", numbers[3]: "pending"}
    # a later file changes a decision, as the one-by-one endpoint does
    r = _import(api, world, f"exam_number,eligible,reason\n{numbers[1]},true,\n{numbers[2]},TRUE,\n")
    assert r.json() == {"updated": 2, "rejected": []}
    assert api.post(world.path("/blind-codes"), as_="org").json() == {"assigned": 3}


def test_a_bad_body_is_a_400_naming_csv_and_only_org_may_import(api):
    world = World(api)
    for text in ("", "exam_number,eligible\nX,true\n"):
        r = _import(api, world, text)
        assert r.status_code == 400 and "csv" in r.json()["errors"], r.text
    r = api.request(
        "POST",
        world.path("/eligibility/import"),
        as_="org",
        data=b"exam_number,eligible,reason\n\xff\n",
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 400, r.text
    assert _import(api, world, "exam_number,eligible,reason\n", as_="officer").status_code == 403
    r = api.request(
        "POST",
        "/api/v1/campaigns/no-such-campaign/eligibility/import",
        as_="org",
        data=b"exam_number,eligible,reason\n",
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 404 and r.json()["code"] == "not_found"
