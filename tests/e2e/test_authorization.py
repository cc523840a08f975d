"""Every role against every endpoint of API.md: 401 without a token, 403 for a role the table
refuses, and through the gate (whatever the endpoint then answers) for a role it allows."""

import re

import pytest

from gateway import authz

ROLE_PRINCIPALS = {role: f"authz-{role}" for role in authz.ROLES}
ENDPOINTS = sorted(key for key, roles in authz.TABLE.items() if key[1].startswith("/api/"))


def concrete(rule):
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if m.group(0).startswith("<int:") else "no-such-thing", rule)


@pytest.fixture(scope="module")
def tokens(api):
    return {role: api.principal(name, role) for role, name in ROLE_PRINCIPALS.items()}


def call(api, method, path, token=None, params=None):
    kwargs = {"json_body": {}} if method == "POST" else {}
    return api.request(method, path, token=token, params=params or None, **kwargs)


def refused_by_gateway(response):
    return response.status_code == 403 and response.json().get("detail", "").startswith("role ")


@pytest.mark.parametrize("method,rule", [k for k in ENDPOINTS if authz.TABLE[k] != authz.PUBLIC])
def test_no_token_is_401(api, method, rule):
    response = call(api, method, concrete(rule))
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("method,rule", ENDPOINTS)
def test_each_role(api, tokens, method, rule):
    check_each_role(api, tokens, method, rule, {})


# API.md gives these paths their roles by query string: the superior sees overdue reviews and filings only
QUERIES = [
    ("GET", "/api/v1/reviews", {"selection": "no-such-thing"}),
    ("GET", "/api/v1/reviews", {"status": "overdue"}),
    ("GET", "/api/v1/reviews", {"selection": "no-such-thing", "status": "overdue"}),
    ("GET", "/api/v1/reviews", {"status": "pending"}),
    ("GET", "/api/v1/filings", {"status": "overdue"}),
]


@pytest.mark.parametrize("method,rule,query", QUERIES, ids=[f"{r}?{q}" for _, r, q in QUERIES])
def test_each_role_by_query_string(api, tokens, method, rule, query):
    check_each_role(api, tokens, method, rule, query)


def test_the_superior_may_not_read_the_verdicts_of_a_selection(api, tokens):
    response = api.get("/api/v1/reviews", token=tokens["superior"], params={"selection": "no-such-thing"})
    assert refused_by_gateway(response), response.text
    response = api.get("/api/v1/reviews", token=tokens["superior"], params={"status": "overdue"})
    assert response.status_code == 200, response.text


def check_each_role(api, tokens, method, rule, query):
    roles = authz.allowed_roles(method, rule, query)
    for role, token in tokens.items():
        response = call(api, method, concrete(rule), token, params=query)
        allowed = roles == authz.PUBLIC or role in roles
        assert response.status_code != 401, (role, response.text)
        if allowed:
            assert not refused_by_gateway(response), (role, response.text)
            assert response.status_code < 500, (role, response.status_code, response.text)
        else:
            assert refused_by_gateway(response), (role, response.status_code, response.text)
