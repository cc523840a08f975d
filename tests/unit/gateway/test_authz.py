"""The authorization table: complete, one place, and every role checked against every endpoint."""
import itertools
import re
from pathlib import Path

import pytest

from gateway import authz
from gateway.routes import ROUTES

API_MD = Path(__file__).resolve().parents[3].parent / "shared" / "API.md"
ENDPOINT = re.compile(r"`(GET|POST) (/api/v1/[^`?\s\[]+|/health|/metrics)")


def _rule(path):
    path = re.sub(r"\{seq\}", "<int:seq>", path)
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def test_every_endpoint_of_api_md_has_a_row():
    if not API_MD.exists():
        pytest.skip("shared/API.md not beside the repository")
    documented = {(m, _rule(p)) for m, p in ENDPOINT.findall(API_MD.read_text())}
    assert documented, "no endpoints parsed from API.md"
    assert documented - set(authz.TABLE) == set()


def test_every_route_has_a_row():
    assert {r.key for r in ROUTES} <= set(authz.TABLE)


def test_roles_are_known():
    for roles in authz.TABLE.values():
        if roles != authz.PUBLIC:
            assert roles and roles <= set(authz.ROLES)


@pytest.mark.parametrize("role,key", list(itertools.product(authz.ROLES, sorted(authz.TABLE))))
def test_each_role_against_each_endpoint(role, key):
    roles = authz.TABLE[key]
    expected = roles == authz.PUBLIC or role in roles
    assert authz.is_allowed(role, *key) is expected


@pytest.mark.parametrize("key,roles", [
    (("POST", "/api/v1/selections/<id>/decision"), {"committee"}),
    (("POST", "/api/v1/reviews/<id>/verdicts"), {"discipline", "audit", "family_planning", "petition"}),
    (("POST", "/api/v1/campaigns/<code>/sealed-sheets"), {"vendor"}),
    (("POST", "/api/v1/campaigns/<code>/unseal"), {"officer"}),
    (("POST", "/api/v1/pre-reports/<id>/approve"), {"superior"}),
    (("POST", "/api/v1/objections/<id>/resolve"), {"org", "discipline"}),
    (("GET", "/api/v1/records"), {"org", "committee", "superior", "auditor"}),
    (("POST", "/api/v1/records"), {"org", "committee"}),
])
def test_rows_that_api_md_spells_out(key, roles):
    assert authz.TABLE[key] == roles


@pytest.mark.parametrize("key", [
    ("POST", "/api/v1/ballots"), ("GET", "/api/v1/notices"), ("POST", "/api/v1/notices/<id>/objections"),
    ("GET", "/api/v1/records/checkpoint"), ("GET", "/api/v1/disclosures.atom"), ("GET", "/health"),
])
def test_public_endpoints(key):
    assert authz.TABLE[key] == authz.PUBLIC


# --- rows that depend on the query string (API.md "Supervision")

REVIEWS, FILINGS = ("GET", "/api/v1/reviews"), ("GET", "/api/v1/filings")
DEPARTMENTS = {"discipline", "audit", "family_planning", "petition"}


@pytest.mark.parametrize("role", authz.ROLES)
def test_reviews_of_a_selection_are_for_org_and_the_four_departments(role):
    assert authz.is_allowed(role, *REVIEWS, {"selection": "s1"}) is (role in {"org", *DEPARTMENTS})


@pytest.mark.parametrize("role", authz.ROLES)
@pytest.mark.parametrize("key", [REVIEWS, FILINGS])
def test_overdue_reviews_and_filings_are_for_superior_and_org(role, key):
    assert authz.is_allowed(role, *key, {"status": "overdue"}) is (role in {"superior", "org"})


def test_the_superior_sees_overdue_reviews_only():
    assert not authz.is_allowed("superior", *REVIEWS, {"selection": "s1"})
    assert not authz.is_allowed("superior", *REVIEWS, {"selection": "s1", "status": "overdue"})
    assert not authz.is_allowed("superior", *REVIEWS, {"status": "pending"})
    assert not authz.is_allowed("superior", *REVIEWS, {})
    assert not authz.is_allowed("audit", *REVIEWS, {"status": "overdue"})


def test_a_request_matching_no_row_gets_the_rows_otherwise():
    # a department's own work list (pending, cleared…) stays the departments' and org's
    assert authz.allowed_roles(*REVIEWS, {}) == {"org", *DEPARTMENTS}
    assert authz.allowed_roles(*REVIEWS, {"status": "pending"}) == {"org", *DEPARTMENTS}
    assert authz.allowed_roles(*FILINGS, {}) == {"superior", "org"}  # by default, what every row allows


def test_each_parameter_a_request_adds_can_only_narrow_it():
    both = {"selection": "s1", "status": "overdue"}
    assert authz.allowed_roles(*REVIEWS, both) == {"org"}


def test_without_a_query_the_row_names_every_role_that_may_call_it_somehow():
    assert authz.allowed_roles(*REVIEWS) == {"org", "superior", *DEPARTMENTS}
