"""The authorization table: complete, one place, and every role of every row checked against API.md."""

import itertools
import re
from pathlib import Path

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from gateway import authz
from gateway.routes import ROUTES

# the contract lives beside the repository (and beside the copy a mutation run works in)
API_MD = next(
    (up / "shared" / "API.md" for up in Path(__file__).resolve().parents if (up / "shared" / "API.md").exists()),
    Path("shared/API.md"),
)
DEPARTMENTS = {"discipline", "audit", "family_planning", "petition"}

# --- what API.md says, parsed as written -------------------------------------------------------
# An endpoint is `METHOD /path[?query]` in backticks. Its roles are what follows it at once:
# "*public*", or a parenthesis naming roles ("(`org`, `committee`)", "(assigned `vendor`)",
# "(`org`, the four departments)"); endpoints joined by "," or "and" share what follows the last one.
# With nothing after it, an endpoint takes its section's default ("## Nomination (`org` unless noted)").

ENDPOINT = re.compile(r"`(GET|POST) ((?:/api/v1|/log|/health|/metrics)[^`\s]*)`")
JOINER = re.compile(r"\s*(?:,|and)\s*(?=`(?:GET|POST) )")
PUBLIC_MARK = re.compile(r"\s*\*public\*")
PAREN = re.compile(r"\s*\(([^)]*)\)")
SECTION = re.compile(r"^## (.*)$", re.M)
ROLE_WORD = re.compile(r"\b(" + "|".join(sorted(authz.ROLES, key=len, reverse=True)) + r")\b")


def _roles_in(text):
    roles = set(ROLE_WORD.findall(text))
    if "four departments" in text:
        roles |= DEPARTMENTS
    return roles


def _query_key(query):
    """The query-string row a mention names: ("status", "overdue"), ("selection", None) for any value,
    or None when the query only documents parameters (``size=N``, ``stage=written|interview``)."""
    if not query or query.startswith("[") or "&" in query:
        return None
    name, _, value = query.partition("=")
    if value.startswith("{"):
        return (name, None)
    return (name, value) if re.fullmatch(r"[a-z_]+", value) else None


def _mentions(text):
    """(method, path, query row, roles or None, section default) for every endpoint API.md mentions."""
    sections = [(m.start(), m.group(1)) for m in SECTION.finditer(text)]
    found, run = [], []
    for match in ENDPOINT.finditer(text):
        heading = next((h for start, h in reversed(sections) if start < match.start()), "")
        default = _roles_in(heading) if "unless noted" in heading else None
        target = match.group(2)
        path, query = re.split(r"[?\[]", target, maxsplit=1)[0], None
        if len(path) < len(target):
            query = target[len(path) :].lstrip("?[").rstrip("]").lstrip("?")
        run.append([match.group(1), path, _query_key(query), None, default])
        rest = text[match.end() :]
        if JOINER.match(rest):
            continue  # the next endpoint's roles are this one's too
        roles = (
            authz.PUBLIC
            if PUBLIC_MARK.match(rest)
            else _roles_in(PAREN.match(rest).group(1))
            if PAREN.match(rest)
            else None
        )
        for mention in run:
            mention[3] = roles or None
        found += run
        run = []
    return found


def _table_router():
    return Map(
        [Rule(rule, methods=[method], endpoint=(method, rule)) for method, rule in authz.TABLE], strict_slashes=False
    ).bind("gateway")


def documented_roles(text):
    """{(method, table rule, query row or None): roles} as API.md gives them."""
    router, documented, unstated = _table_router(), {}, set()
    for method, path, query, roles, default in _mentions(text):
        sample = re.sub(r"\{\w+\}", "1", path)
        try:
            key = router.match(sample, method=method)[0]
        except HTTPException:  # no row serves it: keep the path, so that the row check names it
            key = (method, re.sub(r"\{(\w+)\}", r"<\1>", path))
        roles = roles if roles is not None else default
        if roles is None:
            unstated.add((*key, query))
            continue
        previous = documented.setdefault((*key, query), roles)
        assert previous == roles, f"API.md gives {key} {query} both {previous} and {roles}"
    return documented, unstated - set(documented)


# Rows API.md does not give roles for (the API "may grow"); each is a documented addition.
ADDITIONS = {
    ("GET", "/openapi.json", None): authz.PUBLIC,
    # what the ballot page asks with a token before showing the candidates
    ("POST", "/api/v1/ballot-forms", None): authz.PUBLIC,
    # how the resolvers of objections read what the public wrote
    ("GET", "/api/v1/notices/<id>/objections", None): {"org", "discipline"},
    # API.md lists the ranking with no roles: the superior picks the units for key management with org
    ("GET", "/api/v1/assessments/<period>/ranking", None): {"org", "superior"},
    # a department's own work list (no query, or a status other than overdue)
    ("GET", "/api/v1/reviews", ()): {"org", *DEPARTMENTS},
}


def _expected():
    if not API_MD.exists():
        return {}
    documented, unstated = documented_roles(API_MD.read_text())
    assert unstated <= set(ADDITIONS), f"API.md gives no roles for {unstated - set(ADDITIONS)}"
    return {**documented, **ADDITIONS}


EXPECTED = _expected()
needs_api_md = pytest.mark.skipif(not EXPECTED, reason="shared/API.md not beside the repository")


def _args(query):
    if query is None:
        return None
    if query == ():
        return {}
    name, value = query
    return {name: value if value is not None else "s1"}


@needs_api_md
def test_the_parser_reads_api_md_as_written():
    # a few rows read by hand, so that a parser that reads nothing (or everything as org) fails here
    assert EXPECTED[("POST", "/api/v1/units", None)] == {"org"}
    assert EXPECTED[("GET", "/health", None)] == authz.PUBLIC
    assert EXPECTED[("GET", "/log/tile/<level>/<path:path>", None)] == authz.PUBLIC
    assert EXPECTED[("POST", "/api/v1/campaigns/<code>/papers", None)] == {"vendor"}
    assert EXPECTED[("GET", "/api/v1/campaigns/<code>/blind-codes", None)] == {"org", "vendor"}
    assert EXPECTED[("GET", "/api/v1/reviews", ("selection", None))] == {"org", *DEPARTMENTS}
    assert EXPECTED[("GET", "/api/v1/filings", ("status", "overdue"))] == {"superior", "org"}
    assert EXPECTED[("GET", "/api/v1/records", None)] == {"org", "committee", "superior", "auditor"}


@needs_api_md
def test_every_row_has_an_expectation_and_every_expectation_a_row():
    rows = {(method, rule) for method, rule, _ in EXPECTED}
    assert rows == set(authz.TABLE)


@needs_api_md
@pytest.mark.parametrize(
    "role,row",
    list(itertools.product(authz.ROLES, sorted(EXPECTED, key=repr))),
    ids=lambda v: v if isinstance(v, str) else " ".join(map(str, v[:2])) + (f" {v[2]}" if v[2] is not None else ""),
)
def test_each_role_against_each_endpoint(role, row):
    method, rule, query = row
    roles = EXPECTED[row]
    expected = roles == authz.PUBLIC or role in roles
    assert authz.is_allowed(role, method, rule, _args(query)) is expected


def test_every_route_has_a_row():
    assert {r.key for r in ROUTES} <= set(authz.TABLE)


def test_roles_are_known():
    for roles in authz.TABLE.values():
        if roles != authz.PUBLIC:
            assert roles and roles <= set(authz.ROLES)


@pytest.mark.parametrize(
    "key,roles",
    [
        (("POST", "/api/v1/selections/<id>/decision"), {"committee"}),
        (("POST", "/api/v1/reviews/<id>/verdicts"), {"discipline", "audit", "family_planning", "petition"}),
        (("POST", "/api/v1/campaigns/<code>/sealed-sheets"), {"vendor"}),
        (("POST", "/api/v1/campaigns/<code>/unseal"), {"officer"}),
        (("POST", "/api/v1/pre-reports/<id>/approve"), {"superior"}),
        (("POST", "/api/v1/objections/<id>/resolve"), {"org", "discipline"}),
        (("GET", "/api/v1/records"), {"org", "committee", "superior", "auditor"}),
        (("POST", "/api/v1/records"), {"org", "committee"}),
    ],
)
def test_rows_that_api_md_spells_out(key, roles):
    assert authz.TABLE[key] == roles


@pytest.mark.parametrize(
    "key",
    [
        ("POST", "/api/v1/ballots"),
        ("GET", "/api/v1/notices"),
        ("POST", "/api/v1/notices/<id>/objections"),
        ("GET", "/api/v1/records/checkpoint"),
        ("GET", "/api/v1/disclosures.atom"),
        ("GET", "/health"),
    ],
)
def test_public_endpoints(key):
    assert authz.TABLE[key] == authz.PUBLIC


# --- rows that depend on the query string (API.md "Supervision")

REVIEWS, FILINGS = ("GET", "/api/v1/reviews"), ("GET", "/api/v1/filings")


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
