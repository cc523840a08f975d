""" "Check this record" in a real browser: the page recomputes the leaf hash, verifies the inclusion proof against
the signed checkpoint and its Ed25519 signature with WebCrypto — a real entry verifies; an altered copy, and an
entry altered in the database behind the log, are reported."""

import json

import pymongo

from tests.e2e.test_nomination_support import make_unit
from tests.harness import eventually
from tests.web.browser import until


def entry_of(api, subject):
    def found():
        items = api.get("/api/v1/records", as_="auditor", params={"subject": subject, "limit": 500}).json()["items"]
        return items[0] if items else None

    entry = eventually(found, timeout=30)
    # wait until a signed checkpoint covers it
    eventually(lambda: api.get("/api/v1/records/checkpoint").json()["size"] > entry["seq"], timeout=30)
    return entry


def verdict(web):
    return until(
        lambda: (
            (not web.find("#verdict").get_attribute("hidden")) and web.find("#verdict").get_attribute("data-result")
        ),
        timeout=30,
    )


def test_a_real_entry_verifies_and_an_altered_copy_is_reported(api, web):
    for _ in range(3):  # entries after it, so its inclusion proof has a path to walk
        make_unit(api)
    unit = make_unit(api)
    for _ in range(2):
        make_unit(api)
    entry = entry_of(api, f"unit:{unit}")
    web.sign_in(api.tokens["auditor"])
    web.open(f"/web/console/records?subject=unit:{unit}", shot="records_zh")
    link = web.find(f"#records tr[data-seq='{entry['seq']}'] a.check-link")
    link.click()
    web.wait_ready()
    assert verdict(web) == "verified"
    web.shot("check_verified_zh")
    proof = api.get(f"/api/v1/records/{entry['seq']}/proof").json()
    assert proof["path"]  # a real walk up the tree, not a one-entry log
    steps = {li.get_attribute("id"): li.get_attribute("data-ok") for li in web.all("#steps li")}
    assert steps["step-leaf"] == "true" and steps["step-inclusion"] == "true" and steps["step-key"] == "true"
    # Chromium has Ed25519 in WebCrypto: the signature itself was checked
    assert steps["step-signature"] == "true"
    assert "核验通过" in web.text("#verdict")

    # the visitor's copy says something else than the log: reported, naming the leaf
    altered = json.loads(web.find("#entry").get_attribute("value"))
    altered["matter"] = "unit dissolved"
    field = web.find("#entry")
    field.clear()
    field.send_keys(json.dumps(altered, ensure_ascii=False))
    web.find("#verify").click()
    assert until(lambda: web.find("#step-leaf").get_attribute("data-ok") == "false" and verdict(web), timeout=30)
    assert verdict(web) == "tampered"
    web.shot("check_tampered_copy_zh")

    # in English, by seq and pasted entry, as a member of the public would from a printed dossier
    web.sign_out()
    web.open(f"/web/check?lang=en&seq={entry['seq']}")
    public = {k: v for k, v in entry.items() if k != "leaf_hash"}
    web.find("#entry").send_keys(json.dumps(public, ensure_ascii=False))
    web.find("#verify").click()
    assert verdict(web) == "verified" and "Verified" in web.text("#verdict")
    web.shot("check_verified_en")


def test_an_entry_altered_in_the_database_is_reported_by_the_check_page(api, suite, web):
    unit = make_unit(api)
    entry = entry_of(api, f"unit:{unit}")
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/")
    entries = client["records"]["entries"]
    try:
        entries.update_one({"seq": entry["seq"]}, {"$set": {"responsible": "someone else"}})
        web.sign_in(api.tokens["auditor"], lang="en")
        web.open(f"/web/console/records?subject=unit:{unit}")
        row = web.find(f"#records tr[data-seq='{entry['seq']}']")
        assert "someone else" in row.text  # the listing shows the altered entry …
        web.find("a.check-link", row).click()
        web.wait_ready()
        assert verdict(web) == "tampered"  # … and the check page finds it is not what the log signed
        assert web.find("#step-leaf").get_attribute("data-ok") == "false"
        web.shot("check_tampered_database_en")
    finally:
        entries.update_one({"seq": entry["seq"]}, {"$set": {"responsible": entry["responsible"]}})
        client.close()


def test_the_page_checks_the_witness_cosignature_and_names_the_witness(api, web):
    unit = make_unit(api)
    entry = entry_of(api, f"unit:{unit}")
    [witness] = api.get("/api/v1/records/witnesses").json()["witnesses"]

    def cosigned():  # the note served once the witness has cosigned a checkpoint holding the entry
        body = api.get("/log/checkpoint").text
        return int(body.split("\n")[1]) > entry["seq"] and f"\u2014 {witness['name']} " in body

    eventually(cosigned, timeout=30)
    web.open(f"/web/check?lang=en&seq={entry['seq']}")
    web.find("#entry").send_keys(json.dumps({k: v for k, v in entry.items() if k != "leaf_hash"}, ensure_ascii=False))
    web.find("#verify").click()
    assert verdict(web) == "verified"
    assert web.find("#step-note").get_attribute("data-ok") == "true"
    assert web.find("#step-witnesses").get_attribute("data-ok") == "true"
    assert witness["name"] in web.text("#step-witnesses")
    web.shot("check_witnessed_en")
    web.open(f"/web/check?lang=zh_CN&seq={entry['seq']}")  # the visit before chose English
    web.find("#entry").send_keys(json.dumps({k: v for k, v in entry.items() if k != "leaf_hash"}, ensure_ascii=False))
    web.find("#verify").click()
    assert verdict(web) == "verified" and "为此检查点作担保的见证方" in web.text("#step-witnesses")
