"""Information disclosure (信息公开): policies, announcements, notices and results in the JSON and Atom feeds,
and the SMS and e-mail channels through the outbox into the spool."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.e2e.records_helpers import code, envelope, publish
from tests.harness import eventually

ATOM = "{http://www.w3.org/2005/Atom}"
POLICIES = json.loads((Path(__file__).resolve().parents[2] / "services" / "records" / "policies.json").read_text())


def feed(api, **params):
    r = api.get("/api/v1/disclosures", params=dict({"limit": 500}, **params))
    assert r.status_code == 200, r.text
    return r.json()


def find(api, key):
    def check():
        hit = [i for i in feed(api)["items"] if i["id"] == key]
        assert hit, f"{key} not in the feed yet"
        return hit[0]

    return eventually(check, timeout=30)


def test_the_three_policies_are_in_the_public_feed(api):
    titles = {i["title"] for i in feed(api)["items"] if i["kind"] == "policy"}
    eventually(lambda: {p["title"] for p in POLICIES} <= {i["title"] for i in feed(api)["items"]}, timeout=30)
    assert len(POLICIES) == 3 and titles is not None


def test_results_name_the_selected_and_never_id_or_exam_numbers(api, suite):
    campaign = code("K")
    results = envelope(
        "campaign.results_published",
        f"campaign:{campaign}",
        {
            "campaign": campaign,
            "posts": [
                {
                    "post": "P1",
                    "seats": 1,
                    "ranking": [
                        {
                            "exam_number": "EX-0001",
                            "name": "Wang Fang",
                            "rank": 1,
                            "status": "selected",
                            "total": 88.5,
                            "id_number": "620503199001011234",
                        },
                        {
                            "exam_number": "EX-0002",
                            "name": "Li Lei",
                            "rank": 2,
                            "status": "not_selected",
                            "total": 80.0,
                        },
                    ],
                }
            ],
        },
        source="examination",
    )
    publish(suite, [results], source="examination")
    item = find(api, f"event:{results['id']}")
    assert item["kind"] == "results" and "Wang Fang" in item["summary"]
    text = json.dumps(item, ensure_ascii=False)
    assert "Li Lei" not in text and "EX-000" not in text and "620503199001011234" not in text
    assert item["details"]["posts"] == [{"post": "P1", "seats": 1, "selected": ["Wang Fang"]}]


def test_notice_titles_are_disclosed_and_escaped_in_atom(api, suite):
    notice = code("N")
    opened = envelope(
        "notice.opened",
        f"notice:{notice}",
        {
            "notice": notice,
            "selection": code("S"),
            "title": '公示 <b>Deputy Head</b> & "friends"',
            "opens_at": "2030-01-01T00:00:00Z",
            "closes_at": "2030-01-06T00:00:00Z",
        },
        source="supervision",
    )
    publish(suite, [opened], source="supervision")
    item = find(api, f"event:{opened['id']}")
    assert item["kind"] == "notice" and item["title"] == '公示 <b>Deputy Head</b> & "friends"'
    r = api.get("/api/v1/disclosures.atom", params={"limit": 500})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/atom+xml")
    assert "<b>Deputy" not in r.text and "&lt;b&gt;Deputy Head&lt;/b&gt; &amp;" in r.text
    root = ET.fromstring(r.content)  # well-formed XML
    assert root.tag == f"{ATOM}feed" and root.findtext(f"{ATOM}id") and root.findtext(f"{ATOM}updated")
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert item["title"] in titles
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}updated")


def test_the_feed_is_newest_first_and_pages_with_a_cursor(api):
    everything = feed(api)["items"]
    dates = [i["published_at"] for i in everything]
    assert dates == sorted(dates, reverse=True)

    def two_pages_match_the_whole():
        # Earlier tests' items may still be arriving: compare only while the feed stands still.
        whole = [i["id"] for i in feed(api)["items"]]
        first = feed(api, limit=2)
        assert len(first["items"]) == 2 and first["next_cursor"]
        second = feed(api, limit=2, cursor=first["next_cursor"])
        assert whole == [i["id"] for i in feed(api)["items"]], "the feed moved"
        assert [i["id"] for i in first["items"] + second["items"]] == whole[:4]
        return True

    eventually(two_pages_match_the_whole, timeout=30)
    r = api.get("/api/v1/disclosures", params={"cursor": "nonsense"})
    assert r.status_code == 400 and "cursor" in r.json()["errors"]
    atom = api.get("/api/v1/disclosures.atom", params={"limit": 1})
    assert 'rel="next"' in atom.text
    # a reader follows the next link as given: it must carry the cursor intact
    next_url = next(
        link.get("href") for link in ET.fromstring(atom.content).findall(f"{ATOM}link") if link.get("rel") == "next"
    )
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]
    second = api.session.get(next_url, timeout=30)
    assert second.status_code == 200 and second.headers["Content-Type"].startswith("application/atom+xml")
    titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(second.content).findall(f"{ATOM}entry")]
    assert titles == [i["title"] for i in feed(api, limit=1, cursor=cursor)["items"]]


def test_sms_and_email_go_through_the_outbox_into_the_spool(api, suite):
    selection = code("S")
    opened = envelope(
        "selection.opened",
        f"selection:{selection}",
        {
            "selection": selection,
            "post": "P-ann",
            "mode": "democratic_recommendation",
            "competitive": True,
            "vacancies": 1,
            "key_leadership": False,
        },
    )
    publish(suite, [opened])
    item = find(api, f"event:{opened['id']}")
    assert item["kind"] == "announcement" and "P-ann" in item["title"]
    spool = suite.data_dir / "spool"
    name = f"event_{opened['id']}.json".replace(":", "_")

    def spooled():
        return all((spool / channel / name).exists() for channel in ("sms", "email"))

    eventually(spooled, timeout=30)
    sms = json.loads((spool / "sms" / name).read_text())
    assert sms["channel"] == "sms" and len(sms["body"]) <= 140 and "P-ann" in sms["body"]
    email = json.loads((spool / "email" / name).read_text())
    assert email["subject"] == item["title"] and item["summary"] in email["body"]
