"""Attacks of the database operator on the keyed-request stores (API.md "Conventions", Idempotency-Key):
after campaigns and ballot sessions are created with Idempotency-Keys and retried, no key share, ballot
token or Idempotency-Key is readable in any document of any database; ballots and objections leave the
gateway's stored state unchanged; no document holds the client's address."""

import secrets
import uuid

import pymongo
import pytest
from bson import json_util

from tests.e2e.test_examination_flow import WEIGHTS, when
from tests.e2e.test_nomination_support import (
    ballot_session,
    code,
    make_cadre,
    make_post,
    make_unit,
    ok,
    open_selection,
    principals,
    problem,
    to_recommendation,
)
from tests.harness import Suite

SYSTEM_DATABASES = {"admin", "local", "config"}
CLIENT_ADDRESS = "127.0.0.1"


@pytest.fixture(scope="module")
def suite():
    running = Suite(PUBLIC_RATE_PER_SECOND=1000, PUBLIC_RATE_BURST=1000, AGENDA_LEAD_SECONDS=1).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(suite):
    return principals(suite.api)


@pytest.fixture(scope="module")
def mongo(suite):
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.env['MONGODB_PORT']}", serverSelectionTimeoutMS=10000)
    yield client
    client.close()


def every_document(mongo):
    """What an operator of the database reads: every document of every collection of every database."""
    for db_name in mongo.list_database_names():
        if db_name in SYSTEM_DATABASES:
            continue
        for collection in mongo[db_name].list_collection_names():
            for doc in mongo[db_name][collection].find():
                yield f"{db_name}.{collection}", json_util.dumps(doc)


def holding(mongo, needles):
    """Every (collection, needle) where a needle appears in some stored document."""
    found = set()
    for where, text in every_document(mongo):
        for needle in needles:
            if needle in text:
                found.add((where, needle))
    return found


def idem_key():
    return secrets.token_urlsafe(24)


def new_campaign(api, key):
    officers = []
    for _ in range(3):
        officers.append(code("officer"))
        api.principal(officers[-1], "officer")
    body = {
        "code": code("CMP"),
        "title": "Public selection",
        "posts": [{"code": "P1", "title": "Head", "seats": 1}],
        "weights": WEIGHTS,
        "interview_ratio": 2,
        "unseal": {"not_before": when(-60), "threshold": 2, "officers": officers},
    }
    return body, api.post("/api/v1/campaigns", body, as_="org", headers={"Idempotency-Key": key})


def ballot_world(api):
    unit = make_unit(api)
    post = make_post(api, unit, headcount=2)
    cadres = [make_cadre(api, unit) for _ in range(2)]
    sel = ok(open_selection(api, post), 201)["id"]
    to_recommendation(api, sel, [unit])
    return sel, cadres


def new_session(api, sel, cadres, key):
    body = {"kind": "democratic", "electorate": 4, "seats": 1, "candidates": cadres}
    return body, api.post(
        f"/api/v1/selections/{sel}/ballot-sessions", body, as_="org", headers={"Idempotency-Key": key}
    )


def gateway_state(mongo):
    """The gateway's collections but its rate buckets: a public POST spends from the client's bucket (shared by
    the replicas), which is a keyed hash of its address and a time (test_rate_buckets_hold_no_address)."""
    db = mongo["gateway"]
    return {
        name: sorted(json_util.dumps(doc) for doc in db[name].find())
        for name in db.list_collection_names()
        if name != "rate_buckets"
    }


def applied_counts(mongo):
    return {
        db: mongo[db]["applied_requests"].count_documents({})
        for db in mongo.list_database_names()
        if db not in SYSTEM_DATABASES and "applied_requests" in mongo[db].list_collection_names()
    }


def test_no_key_share_ballot_token_or_idempotency_key_is_readable_anywhere(api, mongo):
    needles, keys = set(), []
    campaign_key = idem_key()
    body, first = new_campaign(api, campaign_key)
    assert first.status_code == 201, first.text
    again = api.post("/api/v1/campaigns", body, as_="org", headers={"Idempotency-Key": campaign_key})
    assert again.status_code == 201 and again.json() == first.json()  # the retry is replayed, intact
    assert again.headers.get("Idempotent-Replayed") == "true"
    needles |= {s["share"] for s in first.json()["key_shares"]}
    keys.append(campaign_key)

    sel, cadres = ballot_world(api)
    session_key = idem_key()
    body, first = new_session(api, sel, cadres, session_key)
    assert first.status_code == 201, first.text
    again = api.post(
        f"/api/v1/selections/{sel}/ballot-sessions", body, as_="org", headers={"Idempotency-Key": session_key}
    )
    assert again.status_code == 201 and again.json() == first.json()
    needles |= set(first.json()["tokens"])
    keys.append(session_key)

    # an ordinary keyed POST: its key is not kept readable either
    unit_key = idem_key()
    ok(
        api.post("/api/v1/units", {"code": code("U"), "name": "u"}, as_="org", headers={"Idempotency-Key": unit_key}),
        201,
    )
    keys.append(unit_key)

    assert holding(mongo, needles | set(keys)) == set()
    # nor the secret each answer is sealed under, which the gateway derives and sends the service with the RPC
    from services.common import applied

    assert holding(mongo, {applied.request_keys("org", key)[1] for key in keys}) == set()


def test_the_same_key_on_another_endpoint_is_idempotency_mismatch_and_changes_nothing(api, mongo):
    key, unit = idem_key(), code("U")
    ok(api.post("/api/v1/units", {"code": unit, "name": "u"}, as_="org", headers={"Idempotency-Key": key}), 201)
    post = code("P")
    body = {"code": post, "unit": unit, "title": "t", "rank": "section", "category": "promotion", "headcount": 1}
    problem(api.post("/api/v1/posts", body, as_="org", headers={"Idempotency-Key": key}), 409, "idempotency_mismatch")
    assert api.get(f"/api/v1/posts/{post}", as_="org").status_code == 404


def test_a_retry_with_another_body_is_still_409_idempotency_mismatch(api):
    key = idem_key()
    body, first = new_campaign(api, key)
    assert first.status_code == 201, first.text
    problem(
        api.post("/api/v1/campaigns", dict(body, title="Another"), as_="org", headers={"Idempotency-Key": key}),
        409,
        "idempotency_mismatch",
    )


def test_the_kept_request_digest_does_not_test_guesses_of_the_body(api, mongo):
    """The operator hashes the body he guesses, as the old digest did: it matches nothing stored."""
    import hashlib

    sel, cadres = ballot_world(api)
    key = idem_key()
    body, first = new_session(api, sel, cadres, key)
    assert first.status_code == 201, first.text
    import json

    raw = json.dumps(body).encode()
    path = f"/api/v1/selections/{sel}/ballot-sessions"
    guess = hashlib.sha256(b"POST " + path.encode() + b"\n" + raw).hexdigest()
    assert holding(mongo, {guess}) == set()


@pytest.mark.parametrize("route", ["campaigns", "ballot-sessions"])
def test_a_short_idempotency_key_on_a_secret_bearing_route_is_400(api, route):
    if route == "campaigns":
        _, r = new_campaign(api, "short-key")
    else:
        sel, cadres = ballot_world(api)
        _, r = new_session(api, sel, cadres, "x" * 21)
    assert "Idempotency-Key" in problem(r, 400, "invalid")["errors"]


def test_ballots_and_objections_keep_no_idempotency_record(api, mongo):
    sel, cadres = ballot_world(api)
    tokens = ballot_session(api, sel, cadres, electorate=3)["tokens"]
    before, applied_before = gateway_state(mongo), applied_counts(mongo)
    key = idem_key()
    ok(api.post("/api/v1/ballots", {"token": tokens[0], "choices": [cadres[0]]}, headers={"Idempotency-Key": key}), 201)
    # the header is ignored: the same key on another ballot is a new ballot, not a replay or a mismatch
    r = api.post("/api/v1/ballots", {"token": tokens[1], "choices": [cadres[1]]}, headers={"Idempotency-Key": key})
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers, r.text
    r = api.post(
        f"/api/v1/notices/{uuid.uuid4().hex}/objections",
        {"content": "a question"},
        headers={"Idempotency-Key": idem_key()},
    )
    assert r.status_code in (201, 404), r.text
    assert gateway_state(mongo) == before
    assert applied_counts(mongo) == applied_before


def test_a_keyed_objection_to_an_open_notice_leaves_no_trace_and_is_never_replayed(api, mongo):
    from tests.e2e.test_supervision_flow import decided

    notice = decided(api)["notice"]["id"]
    before, applied_before = gateway_state(mongo), applied_counts(mongo)
    key = idem_key()
    ids = {
        ok(
            api.post(
                f"/api/v1/notices/{notice}/objections",
                {"content": "a question about the record"},
                headers={"Idempotency-Key": key},
            ),
            201,
        )["id"]
        for _ in range(2)
    }
    assert len(ids) == 2  # the header is ignored: the same key lodges a second objection, not a replay
    assert gateway_state(mongo) == before
    assert applied_counts(mongo) == applied_before
    assert holding(mongo, {key, CLIENT_ADDRESS}) == set()


def test_no_document_holds_the_client_address(api, mongo):
    sel, cadres = ballot_world(api)
    tokens = ballot_session(api, sel, cadres, electorate=3)["tokens"]
    ok(
        api.post(
            "/api/v1/ballots", {"token": tokens[0], "choices": [cadres[0]]}, headers={"Idempotency-Key": idem_key()}
        ),
        201,
    )
    api.post("/api/v1/ballots", {"token": "not-a-token", "choices": [cadres[0]]})
    api.post(f"/api/v1/notices/{uuid.uuid4().hex}/objections", {"content": "q"}, headers={"Idempotency-Key": "k1"})
    assert holding(mongo, {CLIENT_ADDRESS}) == set()


def test_no_log_line_holds_the_client_address(api, suite):
    api.post("/api/v1/ballots", {"token": "not-a-token", "choices": ["x"]})
    api.get("/api/v1/notices")
    gateway_lines = [
        line for line in suite.log_path.read_text(errors="replace").splitlines() if '"service": "gateway"' in line
    ]
    assert gateway_lines and [line for line in gateway_lines if CLIENT_ADDRESS in line] == []


def test_records_of_keys_expire_after_24_hours(api, mongo):
    """A TTL index on the creation time, and a record past its day ignored by the service itself
    (the embedded database may not run TTL deletes)."""
    from datetime import datetime, timedelta, timezone

    from gateway.idempotency import KeyedRequest

    for db in ("nomination", "examination"):  # (the others make the collection at their first keyed request)
        ttl = [
            index.get("expireAfterSeconds")
            for index in mongo[db]["applied_requests"].index_information().values()
            if index["key"][0][0] == "at"
        ]
        assert ttl == [24 * 3600], db

    key = idem_key()
    record = KeyedRequest(("POST", "/api/v1/units"), "org", key).record
    mongo["nomination"]["applied_requests"].insert_one(
        {
            "_id": record,
            "state": "done",
            "request": "another request",
            "answer": "sealed",
            "at": datetime.now(timezone.utc) - timedelta(hours=25),
        }
    )
    r = api.post("/api/v1/units", {"code": code("U"), "name": "u"}, as_="org", headers={"Idempotency-Key": key})
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers, r.text
    # the day-old record was the one found (and replaced), not passed by
    kept = mongo["nomination"]["applied_requests"].find_one({"_id": record})
    assert kept["state"] == "done" and kept["request"] != "another request"


def test_a_keyed_post_leaves_no_record_at_the_gateway_only_the_services_one(api, mongo):
    before, applied_before = gateway_state(mongo), applied_counts(mongo)
    key = idem_key()
    body = {"code": code("U"), "name": "u"}
    for _ in range(2):
        ok(api.post("/api/v1/units", body, as_="org", headers={"Idempotency-Key": key}), 201)
    assert gateway_state(mongo) == before
    assert applied_counts(mongo)["nomination"] == applied_before.get("nomination", 0) + 1


def test_a_kept_refusal_is_replayed_as_the_same_problem_marked_replayed(api):
    unit = code("U")
    ok(api.post("/api/v1/units", {"code": unit, "name": "u"}, as_="org"), 201)
    key = idem_key()
    first = api.post("/api/v1/units", {"code": unit, "name": "again"}, as_="org", headers={"Idempotency-Key": key})
    again = api.post("/api/v1/units", {"code": unit, "name": "again"}, as_="org", headers={"Idempotency-Key": key})
    assert problem(first, 409, "exists") == problem(again, 409, "exists")
    assert "Idempotent-Replayed" not in first.headers and again.headers.get("Idempotent-Replayed") == "true"


def test_rate_buckets_hold_no_address_nor_a_plain_hash_of_it(api, mongo):
    """The rate limit every replica shares keeps, per client, a time and an HMAC of the address under a key the
    database does not hold: the operator cannot find a client's bucket by hashing addresses he guesses."""
    import hashlib

    api.post(f"/api/v1/notices/{uuid.uuid4().hex}/objections", {"content": "q"})
    api.post("/api/v1/ballots", {"token": "not-a-token", "choices": ["x"]})
    buckets = list(mongo["gateway"]["rate_buckets"].find())
    assert {doc["_id"].split(":")[0] for doc in buckets} >= {"public", "ballot-refusals"}
    assert all(set(doc) == {"_id", "tat", "expires_at"} for doc in buckets), buckets
    guesses = {
        hashlib.sha256(CLIENT_ADDRESS.encode()).hexdigest()[:32],
        hashlib.md5(CLIENT_ADDRESS.encode()).hexdigest(),
    }
    assert holding(mongo, {CLIENT_ADDRESS, *guesses}) == set()
