"""The chassis end to end: gateway → nomination RPC → database → outbox → event → records."""

import signal
import time
import uuid

import requests

from tests.harness import eventually

# How long past a request's deadline the gateway may take to answer 503, and the broker to expire the request
MARGIN_SECONDS = 2.0


def code(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_unit(api):
    unit = code("U")
    assert api.post("/api/v1/units", {"code": unit, "name": "Township"}, as_="org").status_code == 201
    return unit


def test_units_posts_cadres_round_trip(api):
    unit = make_unit(api)
    post = code("P")
    r = api.post(
        "/api/v1/posts",
        {"code": post, "unit": unit, "title": "Head", "rank": "section", "category": "promotion", "headcount": 2},
        as_="org",
    )
    assert r.status_code == 201, r.text
    r = api.get(f"/api/v1/posts/{post}", as_="org")
    assert r.status_code == 200
    assert r.json() == {
        "code": post,
        "unit": unit,
        "title": "Head",
        "rank": "section",
        "category": "promotion",
        "headcount": 2,
        "occupied": 0,
        "reserved": 0,
        "vacancies": 2,
    }
    r = api.post(
        "/api/v1/cadres",
        {"code": code("C"), "name": "Li Ming", "unit": unit, "rank": "deputy_section", "grassroots_years": 4},
        as_="org",
    )
    assert r.status_code == 201, r.text


def test_missing_or_unknown_token_is_401_and_wrong_role_is_403(api):
    assert api.post("/api/v1/units", {"code": "X", "name": "x"}).status_code == 401
    r = api.post("/api/v1/units", {"code": "X", "name": "x"}, token="not-a-token")
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/problem+json")
    r = api.post("/api/v1/units", {"code": "X", "name": "x"}, as_="audit")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_bad_input_is_400_naming_each_field_and_changes_nothing(api):
    unit = code("U")
    r = api.post("/api/v1/units", {"code": unit, "nmae": "typo"}, as_="org")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid" and set(body["errors"]) == {"name", "nmae"}
    r = api.post(
        "/api/v1/posts",
        {"code": code("P"), "unit": unit, "title": "t", "rank": "general", "category": "promotion", "headcount": "two"},
        as_="org",
    )
    assert r.status_code == 400 and {"rank", "headcount"} <= set(r.json()["errors"])
    r = api.request("POST", "/api/v1/units", as_="org", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "body" in r.json()["errors"]
    # nothing was created by the refused request
    assert api.post("/api/v1/units", {"code": unit, "name": "now"}, as_="org").status_code == 201


def test_duplicate_is_409_exists(api):
    unit = make_unit(api)
    r = api.post("/api/v1/units", {"code": unit, "name": "again"}, as_="org")
    assert r.status_code == 409 and r.json()["code"] == "exists"


def test_unknown_post_is_404_not_found(api):
    r = api.get("/api/v1/posts/no-such-post", as_="org")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_idempotent_retry_replays_and_mismatch_is_409(api):
    unit = code("U")
    key = uuid.uuid4().hex
    first = api.post("/api/v1/units", {"code": unit, "name": "Once"}, as_="org", headers={"Idempotency-Key": key})
    again = api.post("/api/v1/units", {"code": unit, "name": "Once"}, as_="org", headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = api.post("/api/v1/units", {"code": unit, "name": "Different"}, as_="org", headers={"Idempotency-Key": key})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_mismatch"


def test_body_over_one_mebibyte_is_413(api):
    r = api.request(
        "POST", "/api/v1/units", as_="org", data=b"x" * (1024 * 1024 + 1), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["code"] == "too_large"


def test_request_id_is_echoed_or_generated(api):
    r = api.get("/api/v1/posts/none", as_="org", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    assert len(api.get("/api/v1/posts/none", as_="org").headers["X-Request-ID"]) >= 16


def test_openapi_and_metrics_are_public(api, suite):
    doc = requests.get(suite.base + "/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.") and "/api/v1/units" in doc["paths"]
    metrics = requests.get(suite.base + "/metrics", timeout=10).text
    assert "cadre_http_requests_total" in metrics


def _health(suite):
    return requests.get(suite.base + "/health", timeout=10)


def test_health_goes_503_when_a_service_is_stopped_and_200_when_it_is_back(suite):
    assert _health(suite).status_code == 200
    suite.kill("nomination", sig=signal.SIGSTOP)
    try:
        r = _health(suite)
        assert r.status_code == 503
        assert r.json()["checks"]["nomination"] != "ok" and r.json()["checks"]["records"] == "ok"
    finally:
        suite.kill("nomination", sig=signal.SIGCONT)
    eventually(lambda: _health(suite).status_code == 200, timeout=30)


def test_a_call_to_a_stopped_service_is_a_quick_503_and_never_acted_on_later(api, suite):
    unit = code("U")
    deadline = float(suite.env["RPC_TIMEOUT_SECONDS"])  # the request's deadline and its queue TTL
    suite.kill("nomination", sig=signal.SIGSTOP)
    try:
        started = time.monotonic()
        r = api.post("/api/v1/units", {"code": unit, "name": "late"}, as_="org")
        assert r.status_code == 503 and r.json()["code"] == "unavailable"
        assert time.monotonic() - started < deadline + MARGIN_SECONDS  # told at its deadline, not later
        # the request's TTL and deadline pass while the service is still stopped
        time.sleep(max(0.0, started + deadline + MARGIN_SECONDS - time.monotonic()))
    finally:
        suite.kill("nomination", sig=signal.SIGCONT)
    eventually(lambda: _health(suite).status_code == 200, timeout=30)
    # the expired request was dropped by the broker, so the unit does not exist and can be created now
    assert api.post("/api/v1/units", {"code": unit, "name": "now"}, as_="org").status_code == 201


def test_a_killed_service_is_restarted_and_keeps_its_data(api, suite):
    unit = make_unit(api)
    suite.kill("nomination")
    eventually(lambda: _health(suite).status_code == 200, timeout=60)
    r = api.post("/api/v1/units", {"code": unit, "name": "again"}, as_="org")
    assert r.status_code == 409 and r.json()["code"] == "exists"
