"""Attacks on sealed score sheets by insiders holding valid keys (API.md "Examination", sealed sheets v2):
a vendor scoring as someone else, inventing graders, or a database operator guessing scores from commitments."""

import base64
import hashlib
import json

import pymongo
from nacl.public import PublicKey, SealedBox

from services.examination.sealing import commitment_of
from tests.e2e.test_examination_flow import _campaign_with_candidates


def _interview_ready(api, interviewers=2, n=4):
    """A campaign whose written stage is unsealed and whose interview examiners are drawn."""
    world = _campaign_with_candidates(api, n=n, seats=1, ratio=2)
    grader = world.vendor(["grading"])
    panel = [world.vendor(["interview"]) for _ in range(interviewers)]
    codes = world.blind_codes("written", as_=grader)
    assert (
        world.submit(grader, world.sheet(grader, "written", {c: 60 + i for i, c in enumerate(codes)})).status_code
        == 202
    )
    world.unseal_all("written")
    r = api.post(world.path("/interview-draw"), {"examiners": interviewers}, as_="org")
    assert r.status_code == 200, r.text
    return world, panel, world.blind_codes("interview")


def _ranking(api, world):
    r = api.get(world.path("/results"), as_="org")
    assert r.status_code == 200, r.text
    return r.json()["posts"][0]["ranking"]


def test_an_interview_vendor_cannot_score_as_another_drawn_examiner(api):
    world, (honest, cheat), shortlisted = _interview_ready(api)
    # the cheat, with its own valid key, names the honest examiner as the one who scored
    r = world.submit(cheat, world.sheet(cheat, "interview", {c: 100 for c in shortlisted}, examiner=honest))
    assert r.status_code == 422 and r.json()["code"] == "examiner_mismatch", r.text
    # nor may an interview examiner split itself into graders
    r = world.submit(cheat, world.sheet(cheat, "interview", {c: 100 for c in shortlisted}, examiner=f"{cheat}/x"))
    assert r.status_code == 422 and r.json()["code"] == "examiner_mismatch", r.text


def test_a_grading_vendor_inventing_graders_does_not_outweigh_another_vendor(api):
    world = _campaign_with_candidates(api, n=2, seats=1, ratio=1)
    fair = world.vendor(["grading"])
    cheat = world.vendor(["grading"])
    first, second = world.blind_codes("written", as_=fair)
    assert world.submit(fair, world.sheet(fair, "written", {first: 90, second: 50})).status_code == 202
    # ten invented graders of one vendor, all pushing the other way
    for n in range(10):
        body = world.sheet(cheat, "written", {first: 10, second: 100}, examiner=f"{cheat}/grader-{n}")
        assert world.submit(cheat, body).status_code == 202, body
    world.unseal_all("written")
    written = sorted(row["written"] for row in _ranking(api, world))
    # each vendor counts once: (90 + 10) / 2 and (50 + 100) / 2
    assert written == [50.0, 75.0]


def test_a_plaintext_naming_another_examiner_than_the_signed_one_is_reported_not_scored(api):
    from services.examination.sealing import sign_sheet
    from services.examination.sealing.sheets import sheet_plaintext

    world, (honest, cheat), shortlisted = _interview_ready(api)
    plaintext = sheet_plaintext(world.campaign, "interview", honest, {c: 100 for c in shortlisted}, "ab" * 32)
    ciphertext = SealedBox(PublicKey(base64.b64decode(world.public_key))).encrypt(plaintext)
    commitment = commitment_of(plaintext)
    body = {
        "stage": "interview",
        "examiner": cheat,
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "commitment": commitment,
        "signature": sign_sheet(
            world.campaign, "interview", cheat, commitment, ciphertext, world.keys[cheat].signing_key
        ),
    }
    forged = world.submit(cheat, body)
    assert forged.status_code == 202, forged.text
    assert world.submit(honest, world.sheet(honest, "interview", {c: 70 for c in shortlisted})).status_code == 202
    result = world.unseal_all("interview")
    assert {(p["sheet"], p["code"]) for p in result["problems"]} == {(forged.json()["id"], "examiner_mismatch")}
    interviewed = [row["interview"] for row in _ranking(api, world) if row["interview"] is not None]
    assert interviewed and set(interviewed) == {70.0}


def _old_format(campaign, stage, examiner, scores):
    """A sheet plaintext as the v1 format made it: no nonce, so one set of scores gives one commitment."""
    body = {
        "campaign": campaign,
        "stage": stage,
        "examiner": examiner,
        "scores": [{"blind_code": c, "score": s} for c, s in scores],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _guess(commitment, campaign, examiner, codes):
    """The database operator's attack: every integer score for each of (at most two) interview candidates."""
    first, second = codes
    for a in range(101):
        for b in range(101):
            for order in (((first, a), (second, b)), ((second, b), (first, a))):
                if hashlib.sha256(_old_format(campaign, "interview", examiner, order)).hexdigest() == commitment:
                    return dict(order)
    return None


def test_the_commitment_of_a_small_interview_sheet_cannot_be_brute_forced(api, suite):
    world, (examiner, _), shortlisted = _interview_ready(api)
    assert len(shortlisted) == 2
    scores = {shortlisted[0]: 83, shortlisted[1]: 77}
    # the attack works on a sheet in the old format: the operator recovers the scores before the unseal
    old = _old_format(world.campaign, "interview", examiner, list(scores.items()))
    assert _guess(commitment_of(old), world.campaign, examiner, shortlisted) == scores
    sheet = world.submit(examiner, world.sheet(examiner, "interview", scores))
    assert sheet.status_code == 202, sheet.text
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/")
    try:
        stored = client["examination"]["sheets"].find_one({"_id": sheet.json()["id"]})
    finally:
        client.close()
    assert stored["vendor"] == examiner
    assert _guess(stored["commitment"], world.campaign, stored["vendor"], shortlisted) is None
