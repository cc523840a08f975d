"""Examination end to end through the gateway: vendors, campaigns, applications, blind codes, sealed sheets,
the unseal ceremony, the interview draw, results and publication (API.md "Examination")."""

import base64
import hashlib
import uuid
from datetime import date, datetime, timedelta, timezone

from nacl.public import PublicKey, SealedBox

from services.examination.sealing import commitment_of, keygen, new_nonce, seal_sheet, sign_sheet
from services.examination.sealing.sheets import sheet_plaintext
from tests.harness import eventually

WEIGHTS = {"written": 0.6, "interview": 0.4}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def code(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def id_number(birth, serial):
    """A valid resident ID number (GB 11643) for ``birth`` (date) and a 3-digit ``serial``."""
    body = f"110101{birth:%Y%m%d}{serial % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11]


def applicant(serial, birth=date(1990, 1, 1)):
    return {
        "id_number": id_number(birth, serial),
        "name": f"Applicant {serial}",
        "birth_date": f"{birth:%Y-%m-%d}",
        "education": "bachelor",
    }


def when(seconds):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()


class World:
    """One campaign's actors: org, officers, vendors with their keys."""

    def __init__(self, api, officers=3, threshold=2, not_before=-60, posts=None, ratio=2):
        self.api = api
        self.campaign = code("CMP")
        self.officers = []
        for _ in range(officers):
            name = code("officer")
            api.principal(name, "officer")
            self.officers.append(name)
        self.posts = posts or [{"code": "P1", "title": "Deputy head", "seats": 1}]
        r = api.post(
            "/api/v1/campaigns",
            {
                "code": self.campaign,
                "title": "Public selection",
                "posts": self.posts,
                "weights": WEIGHTS,
                "interview_ratio": ratio,
                "unseal": {"not_before": when(not_before), "threshold": threshold, "officers": self.officers},
            },
            as_="org",
        )
        assert r.status_code == 201, r.text
        self.created = r.json()
        self.public_key = self.created["public_key"]
        self.shares = {s["officer"]: s["share"] for s in self.created["key_shares"]}
        self.keys = {}

    def vendor(self, roles, assign=None, affiliations=()):
        name = code("V")
        keys = keygen()
        r = self.api.post(
            "/api/v1/vendors",
            {
                "code": name,
                "name": "Outside firm",
                "roles": roles,
                "signing_key": keys.verify_key,
                "affiliations": list(affiliations),
            },
            as_="org",
        )
        assert r.status_code == 201, r.text
        self.api.principal(name, "vendor")
        self.keys[name] = keys
        for role in assign if assign is not None else roles:
            r = self.api.post(f"/api/v1/campaigns/{self.campaign}/vendors", {"vendor": name, "role": role}, as_="org")
            assert r.status_code == 200, r.text
        return name

    def path(self, rest=""):
        return f"/api/v1/campaigns/{self.campaign}{rest}"

    def import_csv(self, rows):
        text = "post,id_number,name,birth_date,education\n" + "".join(
            f"{post},{a['id_number']},{a['name']},{a['birth_date']},{a['education']}\n" for post, a in rows
        )
        return self.api.request(
            "POST",
            self.path("/applications/import"),
            as_="org",
            data=text.encode(),
            headers={"Content-Type": "text/csv"},
        )

    def applications(self):
        items, cursor = [], None
        while True:
            r = self.api.get(
                self.path("/applications"), as_="org", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
            )
            assert r.status_code == 200, r.text
            items += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if not cursor:
                return items

    def all_eligible(self):
        for a in self.applications():
            r = self.api.post(
                f"/api/v1/applications/{a['id']}/eligibility", {"eligible": True, "reason": "ok"}, as_="org"
            )
            assert r.status_code == 200 and r.json()["eligibility"] == "eligible", r.text
        r = self.api.post(self.path("/blind-codes"), as_="org")
        assert r.status_code == 200, r.text
        return r.json()["assigned"]

    def blind_codes(self, stage, as_="org"):
        r = self.api.get(self.path("/blind-codes"), as_=as_, params={"stage": stage, "limit": 500})
        assert r.status_code == 200, r.text
        return [i["blind_code"] for i in r.json()["items"]]

    def sheet(self, vendor, stage, scores, examiner=None):
        return seal_sheet(
            self.campaign, stage, examiner or vendor, scores, self.public_key, self.keys[vendor].signing_key
        )

    def submit(self, vendor, body):
        return self.api.post(self.path("/sealed-sheets"), body, as_=vendor)

    def unseal(self, stage, officer, share=None):
        return self.api.post(
            self.path("/unseal"), {"stage": stage, "share": share or self.shares[officer]}, as_=officer
        )

    def unseal_all(self, stage):
        last = None
        for officer in self.officers:
            last = self.unseal(stage, officer)
            assert last.status_code == 200, last.text
            if last.json()["status"] == "unsealed":
                return last.json()
        raise AssertionError(last.text)


def test_campaign_creation_answers_shares_once_and_keeps_none(api):
    world = World(api, officers=3, threshold=2)
    body = world.created
    assert set(body) == {"code", "public_key", "key_shares"}
    assert len(base64.b64decode(body["public_key"])) == 32
    assert [s["officer"] for s in body["key_shares"]] == world.officers
    assert len({s["share"] for s in body["key_shares"]}) == 3
    again = api.post(
        "/api/v1/campaigns",
        {
            "code": world.campaign,
            "title": "x",
            "posts": world.posts,
            "weights": WEIGHTS,
            "interview_ratio": 1,
            "unseal": {"not_before": when(0), "threshold": 1, "officers": world.officers[:1]},
        },
        as_="org",
    )
    assert again.status_code == 409 and again.json()["code"] == "exists"


def test_campaign_bad_settings_are_400_naming_fields(api):
    r = api.post(
        "/api/v1/campaigns",
        {
            "code": code("C"),
            "title": "t",
            "posts": [{"code": "P", "title": "t", "seats": 1}],
            "weights": {"written": 0.7, "interview": 0.7},
            "interview_ratio": 2,
            "unseal": {"not_before": when(0), "threshold": 3, "officers": ["a", "b"]},
        },
        as_="org",
    )
    assert r.status_code == 400
    assert {"weights", "unseal.threshold"} <= set(r.json()["errors"])


def test_vendor_affiliated_with_a_local_unit_is_not_outside_the_moment_the_unit_exists(api):
    """Examination asks nomination's registry at the check: a unit created a moment ago already counts."""
    keys = keygen()

    def vendor(affiliations):
        body = {
            "code": code("V"),
            "name": "Firm",
            "roles": ["grading"],
            "signing_key": keys.verify_key,
            "affiliations": affiliations,
        }
        return api.post("/api/v1/vendors", body, as_="org")

    for _ in range(5):
        unit = code("U")
        assert api.post("/api/v1/units", {"code": unit, "name": "Township"}, as_="org").status_code == 201
        r = vendor(["elsewhere-university", unit])
        assert r.status_code == 422 and r.json()["code"] == "not_outside", r.text
    r = vendor(["elsewhere-university"])
    assert r.status_code == 201, r.text


def test_vendor_with_malformed_or_short_key_is_400(api):
    for key in ("not base64!", base64.b64encode(b"x" * 31).decode()):
        r = api.post(
            "/api/v1/vendors",
            {"code": code("V"), "name": "Firm", "roles": ["grading"], "signing_key": key, "affiliations": []},
            as_="org",
        )
        assert r.status_code == 400 and "signing_key" in r.json()["errors"], r.text
    r = api.post(
        "/api/v1/vendors",
        {
            "code": code("V"),
            "name": "Firm",
            "roles": ["cooking"],
            "signing_key": keygen().verify_key,
            "affiliations": [],
        },
        as_="org",
    )
    assert r.status_code == 400 and "roles" in r.json()["errors"]


def test_applications_one_by_one_csv_import_listing_and_no_id_numbers(api):
    world = World(api, posts=[{"code": "P1", "title": "A", "seats": 1}, {"code": "P2", "title": "B", "seats": 1}])
    one = applicant(1)
    r = api.post(world.path("/applications"), {"post": "P1", "applicant": one}, as_="org")
    assert r.status_code == 201, r.text
    assert r.json()["exam_number"] == f"{world.campaign}-00001" and r.json()["id"]
    again = api.post(world.path("/applications"), {"post": "P2", "applicant": one}, as_="org")
    assert again.status_code == 409 and again.json()["code"] == "exists"
    assert one["id_number"] not in again.text
    bad = api.post(
        world.path("/applications"),
        {"post": "P9", "applicant": {**applicant(2), "birth_date": "1991-01-01"}},
        as_="org",
    )
    assert bad.status_code == 400 and {"post", "applicant.birth_date"} <= set(bad.json()["errors"])

    broken = dict(applicant(4))
    broken["id_number"] = broken["id_number"][:-1] + ("0" if broken["id_number"][-1] != "0" else "1")
    r = world.import_csv(
        [
            ("P1", applicant(2)),
            ("P2", applicant(3)),
            ("P1", broken),
            ("P1", one),
            ("PX", applicant(5)),
            ("P2", applicant(3)),
        ]
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["imported"] == 2
    assert [x["row"] for x in body["rejected"]] == [4, 5, 6, 7]
    assert "id_number" in body["rejected"][0]["errors"] and "post" in body["rejected"][2]["errors"]
    assert one["id_number"] not in r.text and broken["id_number"] not in r.text

    items = world.applications()  # pages of 2 through next_cursor
    assert len(items) == 3
    assert [i["exam_number"] for i in items] == [f"{world.campaign}-0000{n}" for n in (1, 2, 3)]
    assert all(set(i) == {"id", "post", "exam_number", "name", "eligibility"} for i in items)
    assert all(i["eligibility"] == "pending" for i in items)

    header_only = api.request(
        "POST",
        world.path("/applications/import"),
        as_="org",
        data=b"post,name\nP1,x\n",
        headers={"Content-Type": "text/csv"},
    )
    assert header_only.status_code == 400 and "csv" in header_only.json()["errors"]

    r = api.post(f"/api/v1/applications/{items[0]['id']}/eligibility", {"eligible": False}, as_="org")
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    r = api.post(
        f"/api/v1/applications/{items[0]['id']}/eligibility", {"eligible": False, "reason": "too young"}, as_="org"
    )
    assert r.status_code == 200 and r.json()["eligibility"] == "ineligible"
    for item in items[1:]:
        api.post(f"/api/v1/applications/{item['id']}/eligibility", {"eligible": True, "reason": ""}, as_="org")
    r = api.post(world.path("/blind-codes"), as_="org")
    assert r.json() == {"assigned": 2}
    assert api.post(world.path("/blind-codes"), as_="org").json() == {"assigned": 0}
    assert len(world.blind_codes("written")) == 2
    missing = api.get("/api/v1/campaigns/no-such-campaign/applications", as_="org")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def _campaign_with_candidates(api, n=6, seats=1, ratio=2, **kwargs):
    world = World(api, posts=[{"code": "P1", "title": "Deputy head", "seats": seats}], ratio=ratio, **kwargs)
    r = world.import_csv([("P1", applicant(i)) for i in range(1, n + 1)])
    assert r.status_code == 200 and r.json()["imported"] == n, r.text
    assert world.all_eligible() == n
    return world


def test_a_vendor_refused_before_its_assignment_is_accepted_after_it(api):
    # the service remembers a vendor's assignments once found, never their absence
    world = _campaign_with_candidates(api, n=2)
    late = world.vendor(["grading"], assign=[])
    codes = world.blind_codes("written")
    body = world.sheet(late, "written", {c: 75 for c in codes})
    r = world.submit(late, body)
    assert r.status_code == 403, r.text
    r = api.post(world.path("/vendors"), {"vendor": late, "role": "grading"}, as_="org")
    assert r.status_code == 200, r.text
    r = world.submit(late, body)
    assert r.status_code == 202, r.text


def test_blind_codes_are_seen_only_by_org_and_the_stage_vendors(api):
    world = _campaign_with_candidates(api, n=3)
    grader = world.vendor(["grading"])
    interviewer = world.vendor(["interview"])
    stranger = world.vendor(["grading"], assign=[])
    codes = world.blind_codes("written")
    assert len(codes) == 3 and codes == sorted(codes)
    assert world.blind_codes("written", as_=grader) == codes
    for vendor, stage in ((interviewer, "written"), (stranger, "written"), (grader, "interview")):
        r = api.get(world.path("/blind-codes"), as_=vendor, params={"stage": stage})
        assert r.status_code == 403, (vendor, stage, r.text)
    r = api.get(world.path("/blind-codes"), as_="org", params={"stage": "interview"})
    assert r.status_code == 409 and r.json()["code"] == "wrong_stage"  # no shortlist before the written unseal
    r = api.get(world.path("/blind-codes"), as_="org", params={"stage": "oral"})
    assert r.status_code == 400 and "stage" in r.json()["errors"]
    listing = api.get(world.path("/blind-codes"), as_="org", params={"stage": "written"}).json()["items"]
    assert all(set(i) == {"post", "blind_code"} for i in listing)


def test_sealed_sheets_receipt_rules(api):
    world = _campaign_with_candidates(api, n=2)
    grader = world.vendor(["grading"])
    other_grader = world.vendor(["grading"])
    stranger = world.vendor(["grading"], assign=[])
    interviewer = world.vendor(["interview"])
    codes = world.blind_codes("written", as_=grader)
    body = world.sheet(grader, "written", {c: 80 for c in codes})
    r = world.submit(grader, body)
    assert r.status_code == 202, r.text
    assert set(r.json()) == {"id", "received_at"}
    again = world.submit(grader, body)
    assert again.status_code == 409 and again.json()["code"] == "already_submitted"
    # signed by another vendor's key than the submitter's
    forged = world.sheet(grader, "written", {c: 90 for c in codes}, examiner=other_grader)
    r = world.submit(other_grader, forged)
    assert r.status_code == 422 and r.json()["code"] == "invalid_signature"
    # a sheet signed for another campaign does not verify for this one
    elsewhere = seal_sheet("OTHER", "written", grader, {codes[0]: 70}, world.public_key, world.keys[grader].signing_key)
    r = world.submit(grader, elsewhere)
    assert r.status_code == 422 and r.json()["code"] == "invalid_signature"
    # the stage is part of what is signed too
    flipped = dict(world.sheet(interviewer, "written", {codes[0]: 71}), stage="interview")
    assert world.submit(interviewer, flipped).json()["code"] == "invalid_signature"
    assert world.submit(stranger, world.sheet(stranger, "written", {codes[0]: 60})).status_code == 403
    assert world.submit(interviewer, world.sheet(interviewer, "written", {codes[0]: 60})).status_code == 403
    assert api.post(world.path("/sealed-sheets"), body, as_="org").status_code == 403
    # malformed fields: each named
    r = world.submit(
        grader, {**body, "ciphertext": "%%%", "signature": base64.b64encode(b"s" * 10).decode(), "commitment": "ABC"}
    )
    assert r.status_code == 400 and {"ciphertext", "signature", "commitment"} <= set(r.json()["errors"])
    r = world.submit(grader, {**body, "extra": 1})
    assert r.status_code == 400 and "extra" in r.json()["errors"]
    r = world.submit(grader, {k: v for k, v in body.items() if k != "examiner"})
    assert r.status_code == 400 and "examiner" in r.json()["errors"]
    # who scored: the vendor itself or one of its graders, never another vendor or a malformed name
    for examiner in (other_grader, f"{other_grader}/g1", f"{grader}/", f"{grader}/a b", f"{grader}/g/h"):
        r = world.submit(grader, world.sheet(grader, "written", {codes[0]: 50}, examiner=examiner))
        assert r.status_code == 422 and r.json()["code"] == "examiner_mismatch", (examiner, r.text)
    assert world.submit(grader, world.sheet(grader, "written", {codes[0]: 50}, f"{grader}/g-1")).status_code == 202


def _mismatched_sheet(world, vendor, scores):
    """A sheet whose signed commitment is not the hash of what is sealed (caught only at unseal)."""
    plaintext = sheet_plaintext(world.campaign, "written", vendor, scores, new_nonce())
    ciphertext = SealedBox(PublicKey(base64.b64decode(world.public_key))).encrypt(plaintext)
    commitment = commitment_of(plaintext + b" ")
    return {
        "stage": "written",
        "examiner": vendor,
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "commitment": commitment,
        "signature": sign_sheet(
            world.campaign, "written", vendor, commitment, ciphertext, world.keys[vendor].signing_key
        ),
    }


def test_unseal_ceremony_results_interview_and_publication(api):
    world = _campaign_with_candidates(api, n=6, seats=1, ratio=2)
    grader = world.vendor(["grading"])
    interviewers = [world.vendor(["interview"]) for _ in range(5)]
    codes = world.blind_codes("written", as_=grader)
    written = {c: 60 + 5 * i for i, c in enumerate(codes)}  # the last two codes are the best
    # one examiner's list split over two sheets, a second grader with the same scores
    for part in (dict(list(written.items())[:3]), dict(list(written.items())[3:])):
        assert world.submit(grader, world.sheet(grader, "written", part, f"{grader}/g1")).status_code == 202
    assert world.submit(grader, world.sheet(grader, "written", written, f"{grader}/g2")).status_code == 202
    # bad sheets: each reported at unseal, none stops the others
    mismatch = world.submit(grader, _mismatched_sheet(world, grader, {codes[0]: 0}))
    assert mismatch.status_code == 202
    wrong = world.submit(
        grader,
        world.sheet(
            grader,
            "written",
            [
                {"blind_code": codes[0], "score": 101},
                {"blind_code": "NOSUCHCODE", "score": 50},
                {"blind_code": codes[1], "score": 10},
                {"blind_code": codes[1], "score": 20},
            ],
            f"{grader}/g3",
        ),
    )
    assert wrong.status_code == 202
    r = api.get(world.path("/results"), as_="org")
    assert r.status_code == 409 and r.json()["code"] == "wrong_stage"
    r = api.post(
        world.path("/unseal"), {"stage": "interview", "share": world.shares[world.officers[0]]}, as_=world.officers[0]
    )
    assert r.status_code == 409 and r.json()["code"] == "wrong_stage"

    outsider = code("officer")
    api.principal(outsider, "officer")
    r = world.unseal("written", outsider, world.shares[world.officers[0]])
    assert r.status_code == 403
    r = world.unseal("written", world.officers[0], world.shares[world.officers[1]])
    assert r.status_code == 422 and r.json()["code"] == "invalid_share"
    damaged = bytearray(base64.b64decode(world.shares[world.officers[0]]))
    damaged[10] ^= 1
    r = world.unseal("written", world.officers[0], base64.b64encode(bytes(damaged)).decode())
    assert r.status_code == 422 and r.json()["code"] == "invalid_share"
    r = world.unseal("written", world.officers[0])
    assert r.status_code == 200 and r.json() == {"status": "pending", "shares": 1, "threshold": 2}
    r = world.unseal("written", world.officers[0])  # the same officer twice does not make a quorum
    assert r.json() == {"status": "pending", "shares": 1, "threshold": 2}
    r = world.unseal("written", world.officers[1])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "unsealed" and body["sheets"] == 5
    problems = {(p["sheet"], p["code"]) for p in body["problems"]}
    assert (mismatch.json()["id"], "commitment_mismatch") in problems
    for problem in ("score_out_of_range", "unknown_blind_code", "duplicate_blind_code"):
        assert (wrong.json()["id"], problem) in problems
    r = world.unseal("written", world.officers[2])
    assert r.status_code == 409 and r.json()["code"] == "already_unsealed"
    late = world.submit(grader, world.sheet(grader, "written", {codes[0]: 99}, f"{grader}/g4"))
    assert late.status_code == 409 and late.json()["code"] == "already_unsealed"

    r = api.get(world.path("/results"), as_="org")
    assert r.status_code == 200, r.text
    [post] = r.json()["posts"]
    assert post["post"] == "P1" and post["seats"] == 1
    ranking = post["ranking"]
    assert [row["written"] for row in ranking] == [85.0, 80.0, 75.0, 70.0, 65.0, 60.0]
    assert [row["status"] for row in ranking] == ["shortlisted"] * 2 + ["not_selected"] * 4
    assert all(row["interview"] is None and row["total"] is None for row in ranking)
    assert [row["rank"] for row in ranking] == [1, 2, 3, 4, 5, 6]

    shortlisted = world.blind_codes("interview")
    assert sorted(shortlisted) == sorted(codes[-2:])
    assert world.blind_codes("interview", as_=interviewers[0]) == shortlisted
    assert api.get(world.path("/blind-codes"), as_=grader, params={"stage": "interview"}).status_code == 403

    r = api.post(world.path("/interview-draw"), {"examiners": 9}, as_="org")
    assert r.status_code == 400 and "examiners" in r.json()["errors"]
    r = api.post(world.path("/interview-draw"), {"examiners": 5}, as_="org")
    assert r.status_code == 200, r.text
    drawn = r.json()
    assert sorted(drawn["examiners"]) == sorted(interviewers) and sorted(drawn["order"]) == sorted(shortlisted)
    assert len(drawn["seed"]) == 64
    assert api.post(world.path("/interview-draw"), {"examiners": 5}, as_="org").json()["code"] == "exists"

    # five examiners: the highest and the lowest are dropped for each candidate
    first, second = codes[-1], codes[-2]
    marks = {first: [50, 70, 70, 70, 100], second: [90, 90, 90, 90, 90]}
    for n, examiner in enumerate(interviewers):
        sheet = world.sheet(examiner, "interview", {c: marks[c][n] for c in marks})
        assert world.submit(examiner, sheet).status_code == 202
    result = world.unseal_all("interview")
    assert result["sheets"] == 5 and result["problems"] == []
    ranking = api.get(world.path("/results"), as_="org").json()["posts"][0]["ranking"]
    top = ranking[0]
    # second: 0.6*80 + 0.4*90 = 84; first: 0.6*85 + 0.4*70 = 79
    assert top["written"] == 80.0 and top["interview"] == 90.0 and top["total"] == 84.0 and top["status"] == "selected"
    assert ranking[1]["total"] == 79.0 and ranking[1]["status"] == "not_selected"

    csv_export = api.get(world.path("/results"), as_="org", headers={"Accept": "text/csv"})
    assert csv_export.status_code == 200 and csv_export.headers["Content-Type"].startswith("text/csv")
    lines = csv_export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "post,seats,rank,exam_number,name,written,interview,total,status"
    assert lines[1].startswith("P1,1,1,") and lines[1].endswith(",80.00,90.00,84.00,selected")

    r = api.post(world.path("/publish"), as_="org")
    assert r.status_code == 200, r.text
    assert r.json()["campaign"] == world.campaign and r.json()["posts"][0]["ranking"][0]["status"] == "selected"
    assert api.post(world.path("/publish"), as_="org").status_code == 409


def test_unseal_before_not_before_is_too_early(api):
    world = World(api, not_before=3600, threshold=1, officers=1)
    r = world.unseal("written", world.officers[0])
    assert r.status_code == 409 and r.json()["code"] == "too_early"


def test_unseal_needs_an_officer_and_results_need_org(api):
    world = World(api)
    r = api.post(world.path("/unseal"), {"stage": "written", "share": world.shares[world.officers[0]]}, as_="org")
    assert r.status_code == 403
    assert api.get(world.path("/results"), as_="officer").status_code == 403


def test_papers_commit_before_and_reveal_after_the_exam(api):
    world = World(api, not_before=12)
    setter = world.vendor(["question_setting"])
    grader = world.vendor(["grading"])
    paper = b"Question 1: explain the four-step nomination procedure."
    commitment = hashlib.sha256(paper).hexdigest()
    assert api.post(world.path("/papers"), {"commitment": commitment}, as_=grader).status_code == 403
    r = api.post(world.path("/papers"), {"commitment": "not-hex"}, as_=setter)
    assert r.status_code == 400 and "commitment" in r.json()["errors"]
    r = api.post(world.path("/papers"), {"commitment": commitment}, as_=setter)
    assert r.status_code == 201 and set(r.json()) == {"id"}
    paper_id = r.json()["id"]
    encoded = base64.b64encode(paper).decode()
    r = api.post(f"/api/v1/papers/{paper_id}/reveal", {"paper": encoded}, as_=setter)
    assert r.status_code == 409 and r.json()["code"] == "too_early"

    def revealed_later():
        r = api.post(
            f"/api/v1/papers/{paper_id}/reveal", {"paper": base64.b64encode(b"another paper").decode()}, as_=setter
        )
        return r.status_code == 422 and r.json()["code"] == "commitment_mismatch"

    eventually(revealed_later, timeout=60, interval=1)
    r = api.post(f"/api/v1/papers/{paper_id}/reveal", {"paper": "@@not base64@@"}, as_=setter)
    assert r.status_code == 400 and "paper" in r.json()["errors"]
    assert api.post(f"/api/v1/papers/{paper_id}/reveal", {"paper": encoded}, as_=grader).status_code == 403
    r = api.post(f"/api/v1/papers/{paper_id}/reveal", {"paper": encoded}, as_=setter)
    assert r.status_code == 200 and r.json()["status"] == "revealed", r.text
    r = api.post(world.path("/papers"), {"commitment": commitment}, as_=setter)
    assert r.status_code == 409 and r.json()["code"] == "wrong_stage"  # after the exam: too late to commit
    assert api.post("/api/v1/papers/nope/reveal", {"paper": encoded}, as_=setter).status_code == 404


def test_assignment_needs_a_registered_role_and_a_known_vendor(api):
    world = World(api)
    grader = world.vendor(["grading"], assign=[])
    r = api.post(world.path("/vendors"), {"vendor": grader, "role": "interview"}, as_="org")
    assert r.status_code == 400 and "role" in r.json()["errors"]
    r = api.post(world.path("/vendors"), {"vendor": "ghost", "role": "grading"}, as_="org")
    assert r.status_code == 400 and "vendor" in r.json()["errors"]
    r = api.post(world.path("/vendors"), {"vendor": grader, "role": "grading"}, as_="org")
    assert r.status_code == 200 and r.json() == {"campaign": world.campaign, "vendor": grader, "role": "grading"}


def test_a_vendor_whose_affiliation_became_a_district_unit_is_refused_at_assignment(api):
    world = World(api)
    affiliation = code("U")
    vendor = world.vendor(["grading"], assign=[], affiliations=[affiliation])  # outside when registered
    assert api.post("/api/v1/units", {"code": affiliation, "name": "New bureau"}, as_="org").status_code == 201
    r = api.post(world.path("/vendors"), {"vendor": vendor, "role": "grading"}, as_="org")
    assert r.status_code == 422 and r.json()["code"] == "not_outside", r.text
