"""A keyed request whose answer was lost is answered again by the service, not applied twice."""

import uuid
from datetime import datetime, timedelta, timezone

import pymongo
import pytest

from services.common import applied


@pytest.fixture(autouse=True)
def principals(api):
    """The session's suite (tests/conftest.py) with its principals: ``suite`` is that one."""


def rpc(suite, service, method, key, **kwargs):
    """Call a write as the gateway does (its signed context), with a request key: its result, a refusal raised."""
    answer = call(suite, service, method, key, **kwargs)
    return applied.unwrap(answer)[0] if key else answer


def call(suite, service, method, key, **kwargs):
    """The RPC's answer as it comes (a keyed write's wrapped: applied.unwrap; a read's as it is)."""
    from services.common.context import ANSWER_KEY, REQUEST_KEY
    from tests.signing import gateway_context, rpc as signed_rpc

    # ``key``: applied.request_keys — the record's id and the secret the kept answer is sealed under
    data = gateway_context(suite, "org", "org", **({REQUEST_KEY: key[0], ANSWER_KEY: key[1]} if key else {}))
    return signed_rpc(suite, service, method, data, **kwargs)


def make_post(suite):
    unit, post = f"U-{uuid.uuid4().hex[:6]}", f"P-{uuid.uuid4().hex[:6]}"
    assert suite.api.post("/api/v1/units", {"code": unit, "name": "u"}, as_="org").status_code == 201
    assert (
        suite.api.post(
            "/api/v1/posts",
            {"code": post, "unit": unit, "title": "t", "rank": "section", "category": "promotion", "headcount": 3},
            as_="org",
        ).status_code
        == 201
    )
    return post


def test_a_retried_selection_reserves_its_seats_once(suite):
    post = make_post(suite)
    body = {"post": post, "vacancies": 1, "competitive": False, "motion": {"proposed_by": "Wang", "reason": "r"}}
    key = applied.request_keys("org", uuid.uuid4().hex)
    first = rpc(suite, "nomination", "create_selection", key, body=body)
    again = rpc(suite, "nomination", "create_selection", key, body=body)  # the retry after a lost answer
    assert again == first
    view = suite.api.get(f"/api/v1/posts/{post}", as_="org").json()
    assert (view["reserved"], view["vacancies"]) == (1, 2)


def test_a_refusal_is_kept_as_the_answer_too(suite):
    post = make_post(suite)
    body = {"post": post, "vacancies": 9, "competitive": False, "motion": {"proposed_by": "Wang", "reason": "r"}}
    key = applied.request_keys("org", uuid.uuid4().hex)
    from services.common.errors import RuleViolation

    for _ in range(2):
        with pytest.raises(RuleViolation) as info:
            rpc(suite, "nomination", "create_selection", key, body=body)
        assert info.value.code == "over_headcount"


def test_without_a_key_every_call_applies(suite):
    post = make_post(suite)
    body = {"post": post, "vacancies": 1, "competitive": False, "motion": {"proposed_by": "Wang", "reason": "r"}}
    one = rpc(suite, "nomination", "create_selection", None, body=body)
    two = rpc(suite, "nomination", "create_selection", None, body=body)
    assert one["id"] != two["id"]
    assert suite.api.get(f"/api/v1/posts/{post}", as_="org").json()["reserved"] == 2


# --- a process killed -9 in the middle of a keyed request --------------------------------------------
# What the kill leaves behind is put in the database directly: the key still "running" from long ago
# (the retry may take it over), and whatever effects the dead process had written by then.


def nomination_db(suite):
    return pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/").nomination


def abandoned(suite, keys):
    """The key's record as a process killed before answering leaves it."""
    key = keys[0]
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=10)
    nomination_db(suite).applied_requests.replace_one(
        {"_id": key}, {"_id": key, "state": "running", "at": long_ago}, upsert=True
    )


def selection_body(post):
    return {"post": post, "vacancies": 1, "competitive": False, "motion": {"proposed_by": "Wang", "reason": "r"}}


def test_killed_after_its_effect_the_retry_is_told_it_took_effect(suite):
    from services.common.errors import Conflict

    post = make_post(suite)
    key = applied.request_keys("org", uuid.uuid4().hex)
    first = rpc(suite, "nomination", "create_selection", key, body=selection_body(post))
    abandoned(suite, key)  # the answer never got written
    for _ in range(2):  # the second retry hears the same
        with pytest.raises(Conflict) as info:
            rpc(suite, "nomination", "create_selection", key, body=selection_body(post))
        assert info.value.code == "exists"
        assert first["id"] in str(info.value)
    view = suite.api.get(f"/api/v1/posts/{post}", as_="org").json()
    assert (view["reserved"], view["vacancies"]) == (1, 2)
    assert nomination_db(suite).selections.count_documents({"post": post}) == 1


@pytest.mark.parametrize("held", [False, True], ids=["before any effect", "between the seat hold and the selection"])
def test_killed_before_the_selection_was_stored_the_retry_runs_once(suite, held):
    post = make_post(suite)
    key = applied.request_keys("org", uuid.uuid4().hex)
    abandoned(suite, key)
    if held:  # the dead attempt's hold, as store.reserve writes it: the retry reuses it, holds no more
        nomination_db(suite).posts.update_one(
            {"code": post}, {"$inc": {"free": -1, "reserved": 1}, "$push": {"handled": f"request:{key[0]}:hold"}}
        )
    created = rpc(suite, "nomination", "create_selection", key, body=selection_body(post))
    assert suite.api.get(f"/api/v1/selections/{created['id']}", as_="org").status_code == 200
    view = suite.api.get(f"/api/v1/posts/{post}", as_="org").json()
    assert (view["reserved"], view["vacancies"]) == (1, 2)
    assert nomination_db(suite).selections.count_documents({"post": post}) == 1


def test_a_record_past_its_day_is_ignored_and_its_answer_is_sealed(suite):
    """Records of keys expire after 24 hours (API.md), even where the database runs no TTL deletes;
    the kept answer is readable only with the key it was sealed under."""
    post = make_post(suite)
    key = applied.request_keys("org", uuid.uuid4().hex)
    first = rpc(suite, "nomination", "create_selection", key, body=selection_body(post))
    kept = nomination_db(suite).applied_requests.find_one({"_id": key[0]})
    assert kept["state"] == "done" and first["id"] not in kept["answer"]
    nomination_db(suite).applied_requests.update_one(
        {"_id": key[0]}, {"$set": {"at": datetime.now(timezone.utc) - timedelta(hours=25)}}
    )
    again = rpc(suite, "nomination", "create_selection", key, body=selection_body(post))
    assert again["id"] != first["id"]  # a new request, not the day-old answer


# --- a read asked on behalf of a keyed request ---------------------------------------------------------
# Nomination asks supervision (and supervision nomination) with the keyed request's context as it came,
# key included. A read must answer the state as of each call, not what it answered the first attempt.


def test_a_read_asked_during_a_keyed_request_keeps_no_answer_under_its_key(suite):
    post = make_post(suite)
    body = {"post": post, "vacancies": 1, "competitive": False, "motion": {"proposed_by": "Wang", "reason": "r"}}
    selection = rpc(suite, "nomination", "create_selection", None, body=body)["id"]
    key = applied.request_keys("org", uuid.uuid4().hex)
    assert call(suite, "nomination", "selection_facts", key, id=selection)["selection"] == selection  # unwrapped
    call(suite, "supervision", "clearance", key, selection=selection)
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/")
    # a kept answer would be replayed to the retry of the same request: the owner's state of the first attempt
    assert client.nomination.applied_requests.count_documents({"_id": key[0]}) == 0
    assert client.supervision.applied_requests.count_documents({"_id": key[0]}) == 0
    # while a write under the same kind of key is kept, as it must be
    rpc(suite, "nomination", "create_selection", key, body=body)
    assert client.nomination.applied_requests.count_documents({"_id": key[0]}) == 1


def test_a_redelivered_ballot_answers_its_own_receipt_and_counts_once(suite):
    """The replica that cast a ballot is killed before it answered: RabbitMQ redelivers the same request
    (its tracker drawn by the gateway) to another replica, which must answer that receipt, not
    ``token_used``; the same token under another request's tracker is still ``token_used``."""
    from services.common.errors import Conflict

    session, cadre = open_ballot_session(suite)
    token, tracker = session["tokens"][0], uuid.uuid4().hex
    body = {"token": token, "choices": [cadre]}
    first = signed_call(suite, "cast_ballot", body=body, tracker=tracker)
    assert first == {"accepted": True, "tracker": tracker}
    assert signed_call(suite, "cast_ballot", body=body, tracker=tracker) == first  # the redelivery
    with pytest.raises(Conflict) as info:  # another request with the spent token
        signed_call(suite, "cast_ballot", body=body, tracker=uuid.uuid4().hex)
    assert info.value.code == "token_used"
    closed = suite.api.post(f"/api/v1/ballot-sessions/{session['id']}/close", as_="org").json()
    assert closed["cast"] == 1, closed
    board = suite.api.get(f"/api/v1/ballot-sessions/{session['id']}/board", as_="auditor").json()
    assert board["trackers"] == [tracker], board


def test_a_tracker_already_on_a_board_is_not_reused(suite):
    """A request naming a tracker some ballot already holds (a forged or replayed RPC) still gets a
    fresh one: two ballots never share a receipt, and the trackers stay as many as the ballots."""
    session, cadre = open_ballot_session(suite)
    tracker = uuid.uuid4().hex
    answers = [
        signed_call(suite, "cast_ballot", body={"token": token, "choices": [cadre]}, tracker=tracker)
        for token in session["tokens"]
    ]
    assert answers[0]["tracker"] == tracker
    assert len({a["tracker"] for a in answers}) == 3, answers
    suite.api.post(f"/api/v1/ballot-sessions/{session['id']}/close", as_="org")
    board = suite.api.get(f"/api/v1/ballot-sessions/{session['id']}/board", as_="auditor").json()
    assert sorted(a["tracker"] for a in answers) == board["trackers"]


def signed_call(suite, method, **kwargs):
    """A public call as the gateway makes it (anonymous, its signed context)."""
    from tests.signing import gateway_context, rpc as signed_rpc

    return signed_rpc(suite, "nomination", method, gateway_context(suite, None, "public"), **kwargs)


def open_ballot_session(suite):
    """A ballot session of three voters with one candidate, opened through the API: (session, the cadre)."""
    from tests.e2e.test_nomination_support import ballot_session, make_cadre, make_unit, open_selection
    from tests.e2e.test_nomination_support import make_post as make_post_in, principals, to_recommendation

    api = principals(suite.api)
    unit = make_unit(api)
    cadre = make_cadre(api, unit)
    sel = open_selection(api, make_post_in(api, unit)).json()["id"]
    to_recommendation(api, sel, [unit])
    return ballot_session(api, sel, [cadre], electorate=3), cadre
