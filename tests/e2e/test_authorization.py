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


def call(api, method, path, token=None):
    kwargs = {"json_body": {}} if method == "POST" else {}
    return api.request(method, path, token=token, **kwargs)


def refused_by_gateway(response):
    return response.status_code == 403 and response.json().get("detail", "").startswith("role ")


@pytest.mark.parametrize("method,rule", [k for k in ENDPOINTS if authz.TABLE[k] != authz.PUBLIC])
def test_no_token_is_401(api, method, rule):
    response = call(api, method, concrete(rule))
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("method,rule", ENDPOINTS)
def test_each_role(api, tokens, method, rule):
    roles = authz.TABLE[(method, rule)]
    for role, token in tokens.items():
        response = call(api, method, concrete(rule), token)
        allowed = roles == authz.PUBLIC or role in roles
        assert response.status_code != 401, (role, response.text)
        if allowed:
            assert not refused_by_gateway(response), (role, response.text)
            assert response.status_code < 500, (role, response.status_code, response.text)
        else:
            assert refused_by_gateway(response), (role, response.status_code, response.text)
