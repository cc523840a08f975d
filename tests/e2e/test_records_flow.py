"""A selection driven through the gateway is recorded step by step without any records call; the verifier
CLI passes on the honest log and fails, naming the seq, after the database is tampered with; the dossier."""

import os
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pymongo
import pytest

from services.records.log.merkle import verify_inclusion
from tests.e2e.records_helpers import all_entries, code, entries_about
from tests.harness import PYTHON, REPO, eventually


def iso(moment):
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def ok(response, status=(200, 201)):
    assert response.status_code in status, f"{response.request.method} {response.url}: {response.text}"
    return response.json()


@pytest.fixture(scope="module")
def selection(api):
    """A competitive promotion driven from the motion to the public notice, as the departments would."""
    unit, post = code("U"), code("P")
    ok(api.post("/api/v1/units", {"code": unit, "name": "Maiji Township"}, as_="org"))
    ok(
        api.post(
            "/api/v1/posts",
            {
                "code": post,
                "unit": unit,
                "title": "Deputy Head",
                "rank": "section",
                "category": "promotion",
                "headcount": 1,
            },
            as_="org",
        )
    )
    cadres = [code("C") for _ in range(2)]
    for n, cadre in enumerate(cadres):
        ok(
            api.post(
                "/api/v1/cadres",
                {"code": cadre, "name": f"Cadre {n}", "unit": unit, "rank": "deputy_section", "grassroots_years": 5},
                as_="org",
            )
        )
    sel = ok(
        api.post(
            "/api/v1/selections",
            {
                "post": post,
                "vacancies": 1,
                "competitive": True,
                "motion": {"proposed_by": "Party Committee", "reason": "vacancy"},
            },
            as_="org",
        )
    )["id"]
    steps = [("motion", "selection opened")]
    ok(
        api.post(
            f"/api/v1/selections/{sel}/qualification",
            {"conditions": {"min_rank": "deputy_section", "min_grassroots_years": 2}, "scope": [unit]},
            as_="org",
        )
    )
    steps.append(("qualification", "selection stage changed"))
    for source in ("leader_in_charge", "grassroots"):
        ok(api.post(f"/api/v1/selections/{sel}/consultations", {"source": source, "opinion": "agree"}, as_="org"))
    session = ok(
        api.post(
            f"/api/v1/selections/{sel}/ballot-sessions",
            {"kind": "democratic", "electorate": 3, "seats": 2, "candidates": cadres},
            as_="org",
        )
    )
    for token in session["tokens"]:
        ok(api.post("/api/v1/ballots", {"token": token, "choices": cadres}))
    ok(api.post(f"/api/v1/ballot-sessions/{session['id']}/close", {}, as_="org"))
    steps.append(("recommendation", "ballot session closed"))
    for cadre in cadres:
        ok(
            api.post(
                f"/api/v1/selections/{sel}/nominations",
                {
                    "cadre": cadre,
                    "basis": {"ballot_session": session["id"]},
                    "disclosure": {"personal_matters_reported": True},
                    "relations": [],
                },
                as_="org",
            )
        )
    steps.append(("nomination", "nomination made"))
    now = datetime.now(timezone.utc)
    ok(
        api.post(
            f"/api/v1/selections/{sel}/deliberation",
            {"meeting": {"held_at": iso(now), "place": "Room 1", "attendees": 9, "present": 8}, "nominees": cadres},
            as_="org",
        )
    )
    steps.append(("deliberation", "selection deliberated"))
    ok(
        api.post(
            f"/api/v1/selections/{sel}/inspection",
            {"reports": [{"cadre": c, "summary": "solid", "rating": 90 - i} for i, c in enumerate(cadres)]},
            as_="org",
        )
    )
    steps.append(("inspection", "selection inspected"))
    reviews = eventually(
        lambda: (
            [r for r in ok(api.get("/api/v1/reviews", as_="org", params={"selection": sel}))["items"]] if True else None
        ),
        timeout=30,
    )
    eventually(
        lambda: len(ok(api.get("/api/v1/reviews", as_="org", params={"selection": sel}))["items"]) == 2, timeout=30
    )
    reviews = ok(api.get("/api/v1/reviews", as_="org", params={"selection": sel}))["items"]
    for review in reviews:
        for department in ("discipline", "audit", "family_planning", "petition"):
            ok(
                api.post(
                    f"/api/v1/reviews/{review['id']}/verdicts", {"verdict": "clear", "reason": "none"}, as_=department
                )
            )
    steps.append(("joint_review", "review cleared"))
    eventually(
        lambda: all(
            r["status"] == "cleared"
            for r in ok(api.get("/api/v1/reviews", as_="org", params={"selection": sel}))["items"]
        ),
        timeout=30,
    )
    held = now + timedelta(days=4)

    def decide():
        r = api.post(
            f"/api/v1/selections/{sel}/decision",
            {
                "meeting": {
                    "held_at": iso(held),
                    "place": "Standing Committee Room",
                    "agenda_filed_at": iso(now),
                    "members": 9,
                    "present": 8,
                },
                "appointees": [cadres[0]],
            },
            as_="committee",
        )
        assert r.status_code == 200, r.text  # the clearance travels by event: wait for it
        return r

    eventually(decide, timeout=30)
    steps.append(("decision", "selection decided"))
    steps.append(("public_notice", "notice opened"))
    return {"id": sel, "subject": f"selection:{sel}", "steps": steps}


def test_every_step_of_the_selection_is_recorded_without_a_records_call(api, selection):
    matters = {matter for _, matter in selection["steps"]}
    entries = entries_about(api, selection["subject"], matters, timeout=60)
    stages = {e["stage"] for e in entries}
    assert {stage for stage, _ in selection["steps"]} <= stages
    for entry in entries:
        assert entry["recorder"] == "records-service" and entry["occurred_at"]
        assert entry["responsible"] and entry["correlation_id"]
    decided = next(e for e in entries if e["matter"] == "selection decided")
    assert decided["place"] == "Standing Committee Room"
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs)


def _verify(suite, api, state):
    env = dict(suite.env, CADRE_TOKEN=api.tokens["auditor"])
    return subprocess.run(
        [PYTHON, "-m", "services.records.verify", "--url", suite.base, "--state", str(state)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_verifier_passes_on_the_honest_log_and_remembers_it(api, suite, selection, tmp_path):
    entries_about(api, selection["subject"], {"notice opened"}, timeout=60)
    run = _verify(suite, api, tmp_path / "state.json")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK")
    api.post("/api/v1/records", {"subject": selection["subject"], "stage": "deliberation", "matter": "note"}, as_="org")
    size = len(all_entries(api))
    eventually(lambda: api.get("/api/v1/records/checkpoint").json()["size"] >= size, timeout=10)
    again = _verify(suite, api, tmp_path / "state.json")
    assert again.returncode == 0 and "consistent with previous size" in again.stdout, again.stdout


def test_the_verifier_fails_naming_the_first_bad_seq_after_tampering(api, suite, selection, tmp_path):
    entries = entries_about(api, selection["subject"], {"selection deliberated"}, timeout=60)
    victim = next(e for e in entries if e["matter"] == "selection deliberated")
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/")
    entries_coll = client["records"]["entries"]
    try:
        entries_coll.update_one({"seq": victim["seq"]}, {"$set": {"place": "somewhere nicer"}})
        run = _verify(suite, api, tmp_path / "state.json")
        assert run.returncode == 1, run.stdout
        assert f"first bad seq {victim['seq']}" in run.stdout
        assert not os.path.exists(tmp_path / "state.json")
    finally:
        # put the record back, so the shared suite's log is honest again for the tests after this one
        entries_coll.update_one({"seq": victim["seq"]}, {"$set": {"place": victim["place"]}})
        client.close()
    assert _verify(suite, api, tmp_path / "state.json").returncode == 0


def test_the_dossier_has_every_entry_with_a_proof_against_its_checkpoint(api, selection):
    expected = entries_about(api, selection["subject"], {"notice opened"}, timeout=60)
    dossier = ok(api.get(f"/api/v1/selections/{selection['id']}/dossier", as_="auditor"))
    assert dossier["selection"] == selection["id"]
    checkpoint = dossier["checkpoint"]
    key = api.get("/api/v1/records/public-key").json()
    from services.records.log.checkpoint import verify_checkpoint

    assert verify_checkpoint(checkpoint, key["public_key"])
    listed = {e["seq"]: e for e in all_entries(api, subject=selection["subject"])}
    assert [e["seq"] for e in dossier["entries"]][: len(expected)] == [e["seq"] for e in expected]
    for entry in dossier["entries"]:
        proof = entry.pop("proof")
        assert entry == listed[entry["seq"]]
        assert proof["index"] == entry["seq"] and proof["size"] == checkpoint["size"]
        assert verify_inclusion(entry["leaf_hash"], entry["seq"], checkpoint["size"], proof["path"], checkpoint["root"])


def test_the_dossier_as_a_printable_page_escapes_everything(api, selection):
    ok(
        api.post(
            "/api/v1/records",
            {"subject": selection["subject"], "stage": "deliberation", "matter": "<script>alert('x')</script> & co"},
            as_="org",
        )
    )
    r = api.get(f"/api/v1/selections/{selection['id']}/dossier", as_="org", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "<script>alert" not in r.text and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in r.text
    assert selection["id"] in r.text and "Signed checkpoint" in r.text
    assert (
        api.get(f"/api/v1/selections/{selection['id']}/dossier", as_="org")
        .headers["Content-Type"]
        .startswith("application/json")
    )


def test_dossier_roles_and_unknown_selection(api, selection):
    assert api.get(f"/api/v1/selections/{selection['id']}/dossier", as_="committee").status_code == 403
    assert api.get(f"/api/v1/selections/{selection['id']}/dossier").status_code == 401
    assert api.get(f"/api/v1/selections/{selection['id']}/dossier", as_="superior").status_code == 200
    r = api.get("/api/v1/selections/no-such-selection/dossier", as_="org")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_the_selection_is_announced_and_its_notice_disclosed(api, selection):
    def disclosed():
        items = ok(api.get("/api/v1/disclosures", params={"limit": 500}))["items"]
        kinds = {
            i["kind"]
            for i in items
            if i["subject"] in (selection["subject"],) or i["details"].get("selection") == selection["id"]
        }
        assert {"announcement", "notice"} <= kinds, kinds
        return items

    items = eventually(disclosed, timeout=30)
    atom = api.get("/api/v1/disclosures.atom", params={"limit": 500})
    assert atom.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(atom.content)
    ids = [e.findtext("{http://www.w3.org/2005/Atom}id") for e in root.findall("{http://www.w3.org/2005/Atom}entry")]
    assert all(f"urn:cadre:disclosure:{i['id']}" in ids for i in items if i["subject"] == selection["subject"])
