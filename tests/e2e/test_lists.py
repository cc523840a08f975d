"""Every list of API.md takes ?limit= (default 50, max 500) and ?cursor= and answers {items, next_cursor}."""

import pytest

from gateway import authz
from gateway.routes import ROUTES
from services.common.paging import ListQuery

LISTS = [
    r
    for r in ROUTES
    if r.method == "GET" and r.query is not None and issubclass(r.query, ListQuery) and "<" not in r.rule
]


def _as(api, route):
    roles = authz.allowed_roles(route.method, route.rule, {})  # with no query string
    if roles == authz.PUBLIC:
        return {}
    role = sorted(roles)[0]
    api.principal(f"lists-{role}", role)
    return {"as_": f"lists-{role}"}


def test_there_are_lists_to_check():
    assert {"/api/v1/notices", "/api/v1/reviews", "/api/v1/records", "/api/v1/disclosures"} <= {r.rule for r in LISTS}


JSON_LISTS = [r for r in LISTS if r.render is None]


@pytest.mark.parametrize("route", JSON_LISTS, ids=[r.rule for r in JSON_LISTS])
def test_a_page_has_items_and_next_cursor(api, route):
    r = api.get(route.rule, **_as(api, route))
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["items"], list) and len(body["items"]) <= 50
    assert body["next_cursor"] is None or isinstance(body["next_cursor"], str)


@pytest.mark.parametrize("limit", ["0", "501", "many"])
@pytest.mark.parametrize("route", LISTS, ids=[r.rule for r in LISTS])
def test_limit_outside_one_to_five_hundred_is_400_naming_limit(api, route, limit):
    r = api.get(route.rule, params={"limit": limit}, **_as(api, route))
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid" and "limit" in r.json()["errors"]


@pytest.mark.parametrize("route", LISTS, ids=[r.rule for r in LISTS])
def test_limit_500_is_accepted(api, route):
    assert api.get(route.rule, params={"limit": "500"}, **_as(api, route)).status_code == 200
