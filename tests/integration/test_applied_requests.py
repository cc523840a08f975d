"""A keyed request whose answer was lost is answered again by the service, not applied twice."""
import uuid

import pytest

from services.common import applied
from tests.harness import Suite


@pytest.fixture(scope="module")
def suite():
    running = Suite().start()
    running.api.principal("org", "org")
    try:
        yield running
    finally:
        running.stop()


def rpc(suite, service, method, key, **kwargs):
    """Call the service as the gateway does, with a request key but no gateway-side record."""
    from nameko.standalone.rpc import ClusterRpcClient

    from services.common.context import REQUEST_KEY, context_for

    data = dict(context_for("org", "org", "req-applied"), **({REQUEST_KEY: key} if key else {}))
    with ClusterRpcClient(context_data=data, uri=suite.env["AMQP_URI"]) as client:
        return getattr(getattr(client, service), method)(**kwargs)


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
