"""What bench/cost.py's workloads write against, made before any measurement: selections, reviews, sealed sheets."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import requests

from services.examination.sealing import keygen, seal_sheet

DEPARTMENTS = ("discipline", "audit", "family_planning", "petition")


class Client:
    """Keyed POSTs and GETs as a principal, the way tests/faults' workload makes them."""

    def __init__(self, suite):
        self.base, self.tokens = suite.base, suite.api.tokens

    def headers(self, as_=None, keyed=True):
        headers = {"X-Request-ID": str(uuid.uuid4())}
        if as_:
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        if keyed:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return headers

    def post(self, session, path, body, as_=None, keyed=True):
        return session.post(self.base + path, json=body, headers=self.headers(as_, keyed), timeout=30)

    def ok(self, response, status=(200, 201, 202)):
        assert response.status_code in status, f"{response.status_code} {response.text[:300]}"
        return response.json() if response.content else None


def prepare(suite, client, n, clients):
    """Everything the measured writes need, made before any measurement (in parallel, not measured)."""
    s = requests.Session()
    tag = uuid.uuid4().hex[:6]
    unit = f"CU-{tag}"
    client.ok(client.post(s, "/api/v1/units", {"code": unit, "name": "bench"}, "org"))
    cadre = f"CC-{tag}"
    client.ok(
        client.post(
            s,
            "/api/v1/cadres",
            {"code": cadre, "name": "Bench Cadre", "unit": unit, "rank": "deputy_section", "grassroots_years": 5},
            "org",
        )
    )
    post = f"CP-{tag}"
    client.ok(
        client.post(
            s,
            "/api/v1/posts",
            {"code": post, "unit": unit, "title": "t", "rank": "section", "category": "promotion", "headcount": 3},
            "org",
        )
    )
    reviews_needed = -(-n // len(DEPARTMENTS))

    def selection(i):
        session = requests.Session()
        code = f"CP-{tag}-{i}"
        client.ok(
            client.post(
                session,
                "/api/v1/posts",
                {"code": code, "unit": unit, "title": "t", "rank": "section", "category": "promotion", "headcount": 1},
                "org",
            )
        )
        return client.ok(
            client.post(
                session,
                "/api/v1/selections",
                {
                    "post": code,
                    "vacancies": 1,
                    "competitive": False,
                    "motion": {"proposed_by": "Secretary Li", "reason": "vacancy"},
                },
                "org",
            )
        )["id"]

    with ThreadPoolExecutor(clients) as pool:
        selections = list(pool.map(selection, range(n + reviews_needed + 1)))
    world = {
        "unit": unit,
        "cadre": cadre,
        "post": post,
        "fresh": selections[:n],
        "walk": selections[n : n + reviews_needed],
        "ballot_selection": selections[-1],
    }
    return world


def walk_to_review(client, world, sel, electorate=3, ballots=True):
    """From created to a joint review open (or to a ballot session with ``electorate`` tokens)."""
    s = requests.Session()
    unit, cadre = world["unit"], world["cadre"]
    client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/qualification",
            {"conditions": {"min_rank": "clerk", "min_grassroots_years": 2}, "scope": [unit]},
            "org",
        )
    )
    for source in ("leader_in_charge", "grassroots"):
        client.ok(
            client.post(s, f"/api/v1/selections/{sel}/consultations", {"source": source, "opinion": "agreed"}, "org")
        )
    session = client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/ballot-sessions",
            {"kind": "democratic", "electorate": electorate, "seats": 1, "candidates": [cadre]},
            "org",
        )
    )
    if not ballots:
        return session
    for token in session["tokens"]:
        client.ok(client.post(s, "/api/v1/ballots", {"token": token, "choices": [cadre]}, keyed=False))
    client.ok(client.post(s, f"/api/v1/ballot-sessions/{session['id']}/close", None, "org"))
    client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/nominations",
            {
                "cadre": cadre,
                "basis": {"ballot_session": session["id"]},
                "disclosure": {"personal_matters_reported": True},
                "relations": [],
            },
            "org",
        )
    )
    client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/deliberation",
            {
                "meeting": {
                    "held_at": datetime.now(timezone.utc).isoformat(),
                    "place": "Room 3",
                    "attendees": 9,
                    "present": 7,
                },
                "nominees": [cadre],
            },
            "org",
        )
    )
    client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/inspection",
            {"reports": [{"cadre": cadre, "summary": "sound", "rating": 80}]},
            "org",
        )
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = s.get(
            f"{client.base}/api/v1/reviews", params={"selection": sel}, headers=client.headers("org", False), timeout=30
        )
        items = r.json().get("items", []) if r.status_code == 200 else []
        if items:
            return items[0]["id"]
        time.sleep(0.3)
    raise RuntimeError(f"no review for {sel}")


def prepare_sheets(suite, client, n):
    s = requests.Session()
    api = suite.api
    officers = [f"officer-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    for name in officers:
        api.principal(name, "officer")
    campaign = f"CB-{uuid.uuid4().hex[:6]}"
    created = client.ok(
        client.post(
            s,
            "/api/v1/campaigns",
            {
                "code": campaign,
                "title": "bench",
                "posts": [{"code": "P0", "title": "Post", "seats": 2}],
                "weights": {"written": 0.6, "interview": 0.4},
                "interview_ratio": 3,
                "unseal": {"not_before": "2099-01-01T00:00:00+00:00", "threshold": 2, "officers": officers},
            },
            "org",
        )
    )
    vendor, keys = f"CV-{uuid.uuid4().hex[:6]}", keygen()
    client.ok(
        client.post(
            s,
            "/api/v1/vendors",
            {
                "code": vendor,
                "name": "Grading firm",
                "roles": ["grading"],
                "signing_key": keys.verify_key,
                "affiliations": [],
            },
            "org",
        )
    )
    client.ok(client.post(s, f"/api/v1/campaigns/{campaign}/vendors", {"vendor": vendor, "role": "grading"}, "org"))
    api.principal(vendor, "vendor")
    bodies = [
        seal_sheet(
            campaign,
            "written",
            f"{vendor}/g{i}",
            [{"blind_code": f"B{i:05d}", "score": 71.5}],
            created["public_key"],
            keys.signing_key,
        )
        for i in range(n)
    ]
    return campaign, vendor, bodies
