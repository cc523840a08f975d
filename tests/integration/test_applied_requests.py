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
    """Call the service as the gateway does (its signed context), with a request key but no gateway-side record."""
    from services.common.context import REQUEST_KEY
    from tests.signing import gateway_context, rpc as signed_rpc

    data = gateway_context(suite, "org", "org", **({REQUEST_KEY: key} if key else {}))
    return signed_rpc(suite, service, method, data, **kwargs)


def make_post(suite):
    unit, post = f"U-{uuid.uuid4().hex[:6]}", f"P-{uuid.uuid4().hex[:6]}"
    assert suite.api.post("/api/v1/units", {"code": unit, "name": "u"}, as_="org").status_code == 201
    assert suite.api.post("/api/v1/posts", {"code": post, "unit": unit, "title": "t", "rank": "section",
                                            "category": "promotion", "headcount": 3}, as_="org").status_code == 201
    return post


def test_a_retried_selection_reserves_its_seats_once(suite):
    post = make_post(suite)
    body = {"post": post, "vacancies": 1, "competitive": False, "motion": {"proposed_by": "Wang", "reason": "r"}}
    key = applied.request_key("org", uuid.uuid4().hex)
    first = rpc(suite, "nomination", "create_selection", key, body=body)
    again = rpc(suite, "nomination", "create_selection", key, body=body)  # the retry after a lost answer
    assert again == first
    view = suite.api.get(f"/api/v1/posts/{post}", as_="org").json()
    assert (view["reserved"], view["vacancies"]) == (1, 2)


def test_a_refusal_is_kept_as_the_answer_too(suite):
    post = make_post(suite)
    body = {"post": post, "vacancies": 9, "competitive": False, "motion": {"proposed_by": "Wang", "reason": "r"}}
    key = applied.request_key("org", uuid.uuid4().hex)
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


def abandoned(suite, key):
    """The key's record as a process killed before answering leaves it."""
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=10)
    nomination_db(suite).applied_requests.replace_one(
        {"_id": key}, {"_id": key, "state": "running", "at": long_ago}, upsert=True)


def selection_body(post):
    return {"post": post, "vacancies": 1, "competitive": False, "motion": {"proposed_by": "Wang", "reason": "r"}}


def test_killed_after_its_effect_the_retry_is_told_it_took_effect(suite):
    from services.common.errors import Conflict

    post = make_post(suite)
    key = applied.request_key("org", uuid.uuid4().hex)
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
    key = applied.request_key("org", uuid.uuid4().hex)
    abandoned(suite, key)
    if held:  # the dead attempt's hold, as store.reserve writes it: the retry reuses it, holds no more
        nomination_db(suite).posts.update_one(
            {"code": post}, {"$inc": {"free": -1, "reserved": 1}, "$push": {"handled": f"request:{key}:hold"}})
    created = rpc(suite, "nomination", "create_selection", key, body=selection_body(post))
    assert suite.api.get(f"/api/v1/selections/{created['id']}", as_="org").status_code == 200
    view = suite.api.get(f"/api/v1/posts/{post}", as_="org").json()
    assert (view["reserved"], view["vacancies"]) == (1, 2)
    assert nomination_db(suite).selections.count_documents({"post": post}) == 1
